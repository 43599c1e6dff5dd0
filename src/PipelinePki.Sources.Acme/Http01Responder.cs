using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using PipelinePki.Core;

namespace PipelinePki.Sources.Acme;

/// <summary>
/// A minimal HTTP/1.1 responder for http-01 (RFC 8555 §8.3): answers
/// <c>GET /.well-known/acme-challenge/TOKEN</c> with the key authorization, 404 otherwise. Runs only
/// while an order is being validated; a plain socket keeps the native binary free of a web server.
/// </summary>
internal sealed class Http01Responder : IAsyncDisposable
{
    private const string PathPrefix = "/.well-known/acme-challenge/";
    private readonly ConcurrentDictionary<string, string> answers = new(StringComparer.Ordinal);
    private readonly TcpListener listener;
    private readonly CancellationTokenSource stopping = new();
    private readonly ILogger logger;
    private readonly Task acceptLoop;

    private Http01Responder(TcpListener listener, ILogger logger)
    {
        this.listener = listener;
        this.logger = logger;
        // Started after the listener is bound, so a stop can never race the first accept.
        acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public static Http01Responder Start(string bindAddress, int port, ILogger logger)
    {
        if (!IPAddress.TryParse(bindAddress, out var address))
        {
            throw new UsageException($"--http-bind: '{bindAddress}' is not an IP address.");
        }

        var listener = new TcpListener(address, port);
        try
        {
            listener.Start();
        }
        catch (SocketException e)
        {
            throw new BadInputException($"--http-port: cannot listen on {bindAddress}:{port} for http-01 ({e.SocketErrorCode}); free the port, pick another with --http-port (the CA must reach it), or use --dns-hook.", e);
        }

        return new Http01Responder(listener, logger);
    }

    public void Serve(string token, string keyAuthorization) => answers[token] = keyAuthorization;

    private async Task AcceptLoopAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(() => AnswerAsync(client));
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                var stream = client.GetStream();
                var requestLine = await ReadHeadAsync(stream, timeout.Token);
                var parts = requestLine.Split(' ');
                var status = "404 Not Found";
                var body = "not found";
                if (parts.Length >= 2 && parts[0] is "GET" or "HEAD" && parts[1].StartsWith(PathPrefix, StringComparison.Ordinal)
                    && answers.TryGetValue(parts[1][PathPrefix.Length..], out var answer))
                {
                    status = "200 OK";
                    body = answer;
                }

                logger.LogDebug("http-01: {Request} -> {Status}", requestLine, status);
                var bytes = Encoding.ASCII.GetBytes(body);
                var head = $"HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head), timeout.Token);
                if (parts[0] != "HEAD")
                {
                    await stream.WriteAsync(bytes, timeout.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
            {
                logger.LogDebug("http-01: connection dropped ({Message})", e.Message);
            }
        }
    }

    /// <summary>Reads up to the blank line; returns the request line.</summary>
    private static async Task<string> ReadHeadAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[8192];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0)
            {
                break;
            }

            length += read;
            if (buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) >= 0)
            {
                break;
            }
        }

        var text = Encoding.ASCII.GetString(buffer, 0, length);
        var end = text.IndexOf("\r\n", StringComparison.Ordinal);
        return end < 0 ? text : text[..end];
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        await acceptLoop;
        stopping.Dispose();
    }
}
