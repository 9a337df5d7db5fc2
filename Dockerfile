# syntax=docker/dockerfile:1
# Sluice: multi-stage build. Stage 1 compiles with the Swift toolchain image;
# stage 2 is a slim Debian with only the runtime libraries and a non-root user.
# libxml2: FoundationXML (the AWS layer's XML) links it dynamically even
# with a static Swift standard library.

# The pinned packages (swift-log, swift-metrics, swift-prometheus,
# swift-service-lifecycle) need tools version 6.2; CI uses 6.3.
FROM swift:6.3-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev libssl-dev libcurl4-openssl-dev zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Resolve dependencies first so source edits reuse this layer.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
COPY migrations ./migrations
RUN swift build -c release --product sluice --static-swift-stdlib \
 && install -D "$(swift build -c release --show-bin-path)/sluice" /out/sluice

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 libssl3 libcurl4 zlib1g libxml2 ca-certificates curl tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/sluice --create-home sluice
COPY --from=build /out/sluice /usr/local/bin/sluice
COPY --from=build /src/migrations /usr/local/share/sluice/migrations
USER sluice
WORKDIR /var/lib/sluice
ENV SLUICE_HOST=0.0.0.0 SLUICE_PORT=8080
EXPOSE 8080 8081
# `sluice serve` listens on SLUICE_PORT, `sluice gateway` on SLUICE_GATEWAY_PORT.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${SLUICE_PORT:-8080}/healthz" || curl -fsS "http://127.0.0.1:${SLUICE_GATEWAY_PORT:-8081}/healthz" || exit 1
ENTRYPOINT ["/usr/local/bin/sluice"]
CMD ["serve"]
