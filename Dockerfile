# pipeline-pki as a container: the native AOT CLI on a minimal runtime base.
#   docker build -t pipeline-pki .
#   docker build --build-arg RUNTIME_IMAGE=localhost/base -t pipeline-pki .   # any glibc base with libssl3
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/runtime-deps:10.0

FROM ${SDK_IMAGE} AS build
# Native AOT links with the platform toolchain.
RUN apt-get update \
 && apt-get install -y --no-install-recommends clang zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Restore first, from the project files alone, so source edits reuse the cached restore layer.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/PipelinePki.Core/PipelinePki.Core.csproj src/PipelinePki.Core/
COPY src/PipelinePki.Ci/PipelinePki.Ci.csproj src/PipelinePki.Ci/
COPY src/PipelinePki.Cli/PipelinePki.Cli.csproj src/PipelinePki.Cli/
RUN dotnet restore src/PipelinePki.Cli -r linux-x64
COPY src/ src/
RUN dotnet publish src/PipelinePki.Cli -c Release -r linux-x64 -p:PublishAot=true --no-restore -o /out \
 && rm -f /out/*.dbg

FROM ${RUNTIME_IMAGE}
# The binary finds libe_sqlite3.so next to itself. Everything is world-readable and nothing in the
# image is written at run time, so the container runs as root (as GitHub's docker actions require)
# or under any --user UID; state goes to the working directory or the paths given on the command line.
COPY --from=build --chmod=0755 /out/ /opt/pipeline-pki/
RUN ln -s /opt/pipeline-pki/pipeline-pki /usr/local/bin/pipeline-pki
ENV DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
WORKDIR /work
ENTRYPOINT ["/opt/pipeline-pki/pipeline-pki"]
CMD ["--help"]
