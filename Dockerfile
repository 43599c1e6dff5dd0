# pipeline-pki as a container: the native AOT CLI on a minimal runtime base.
#   docker build -t pipeline-pki .                                           # builds the CLI with the .NET SDK image
#   docker build --build-arg RUNTIME_IMAGE=localhost/base -t pipeline-pki .   # any glibc base with libssl3
#   docker build --build-arg CLI_SOURCE=prebuilt -t pipeline-pki .           # ship artifacts/container-cli/ (an AOT publish) as is
# CLI_SOURCE=prebuilt is for machines that cannot pull the SDK image: publish first with
#   dotnet publish src/PipelinePki.Cli -c Release -r linux-x64 -p:PublishAot=true -o artifacts/container-cli
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/runtime-deps:10.0
ARG CLI_SOURCE=sdk

FROM ${SDK_IMAGE} AS cli-sdk
# Native AOT links with the platform toolchain (which also compiles src/PipelinePki.Cli/Native/prefault.c).
RUN apt-get update \
 && apt-get install -y --no-install-recommends clang zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Restore first, from the project files alone, so source edits reuse the cached restore layer.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/PipelinePki.Core/PipelinePki.Core.csproj src/PipelinePki.Core/
COPY src/PipelinePki.Ci/PipelinePki.Ci.csproj src/PipelinePki.Ci/
COPY src/PipelinePki.Cli/PipelinePki.Cli.csproj src/PipelinePki.Cli/
COPY src/PipelinePki.Hsm/PipelinePki.Hsm.csproj src/PipelinePki.Hsm/
COPY src/PipelinePki.Sources.Vault/PipelinePki.Sources.Vault.csproj src/PipelinePki.Sources.Vault/
COPY src/PipelinePki.Sources.Acme/PipelinePki.Sources.Acme.csproj src/PipelinePki.Sources.Acme/
RUN dotnet restore src/PipelinePki.Cli -r linux-x64
COPY src/ src/
RUN dotnet publish src/PipelinePki.Cli -c Release -r linux-x64 -p:PublishAot=true --no-restore -o /out \
 && rm -f /out/*.dbg

FROM scratch AS cli-prebuilt
COPY artifacts/container-cli/ /out/

FROM cli-${CLI_SOURCE} AS cli

FROM ${RUNTIME_IMAGE}
# The binary finds libe_sqlite3.so next to itself. Everything is world-readable and nothing in the
# image is written at run time, so the container runs as root (as GitHub's docker actions require)
# or under any --user UID; state goes to the working directory or the paths given on the command line.
COPY --from=cli --chmod=0755 /out/ /opt/pipeline-pki/
# github-action-post: the GitHub post-entrypoint (the runner gives it the main step's args; under
# this name the CLI runs that verb's post step, mtls teardown).
RUN rm -f /opt/pipeline-pki/*.dbg \
 && ln -s /opt/pipeline-pki/pipeline-pki /usr/local/bin/pipeline-pki \
 && ln -s pipeline-pki /opt/pipeline-pki/github-action-post
ENV DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
WORKDIR /work
ENTRYPOINT ["/opt/pipeline-pki/pipeline-pki"]
CMD ["--help"]
