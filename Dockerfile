# hello-service, as the image ECS runs: a Rust build stage whose dependency layer is
# cached apart from the sources, and a distroless runtime with nothing but the binary.
#
# The base images are build arguments, pinned by digest. Where no registry is reachable,
# image/build passes local stand-ins under the same names (docs/image.md).
ARG RUST_IMAGE=docker.io/library/rust:1.95.0-slim-bookworm@sha256:d7482085ff5b415f84dba5647ae71606650bdef00db7aeb69f4b3d170c3e4082
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot@sha256:9dac0a79194e45a7da0158a9c6da57b217585af0786db3845d1f0ec1a0dd182f

# The build runs on the build machine's own architecture and cross-compiles for the
# target's: no emulation.
# checkov:skip=CKV_DOCKER_7: the base images are build arguments whose defaults are pinned by digest (checkov cannot see through the argument)
# hadolint ignore=DL3006
FROM --platform=$BUILDPLATFORM ${RUST_IMAGE} AS builder
ARG TARGETARCH
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /src
# A linker and a standard library for the target, only when it is not the build's own.
RUN case "${TARGETARCH:-amd64}" in \
      amd64) echo x86_64-unknown-linux-gnu > /tmp/target ;; \
      arm64) echo aarch64-unknown-linux-gnu > /tmp/target ;; \
      *) echo "unsupported architecture: ${TARGETARCH}" >&2; exit 1 ;; \
    esac \
 && target=$(cat /tmp/target) \
 && if [ "$target" != "$(rustc -vV | sed -n 's/^host: //p')" ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends gcc-aarch64-linux-gnu=4:12.2.0-3 libc6-dev-arm64-cross=2.36-8cross1 \
      && rm -rf /var/lib/apt/lists/* \
      && rustup target add "$target"; \
    fi
ENV CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
    CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc \
    AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar

# Dependencies first, built against empty sources: this layer is rebuilt only when the
# manifest, the lock file or the build script changes, not when a source file does.
COPY Cargo.toml Cargo.lock build.rs ./
RUN mkdir -p src bench \
 && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
 && echo 'fn main() {}' > bench/bare_axum.rs && cp bench/bare_axum.rs bench/otlp_sink.rs \
 && cargo build --release --locked --bin hello-service --target "$(cat /tmp/target)" \
 && rm -rf src bench

# The sources, stamped with their revision and time (declared only now, so that a new
# commit does not invalidate the dependency layer above).
COPY src src
COPY bench bench
ARG GIT_SHA=unknown
ARG BUILD_EPOCH
# Touched, so cargo sees them as newer than the empty stand-ins it built before. The
# time goes to build.rs under a name of its own: the C dependencies rebuild when
# SOURCE_DATE_EPOCH changes.
RUN touch src/main.rs src/lib.rs \
 && GIT_SHA="$GIT_SHA" HELLO_SOURCE_DATE_EPOCH="$BUILD_EPOCH" \
    cargo build --release --locked --bin hello-service --target "$(cat /tmp/target)" \
 && install -D "target/$(cat /tmp/target)/release/hello-service" /out/hello-service

# The target's platform, named although it is the default: buildah 1.28 (Debian 12) carries
# the builder stage's platform into the next stage and would look for an amd64 runtime.
# hadolint ignore=DL3006,DL3065
FROM --platform=$TARGETPLATFORM ${RUNTIME_IMAGE}
ARG VERSION=0.1.0
ARG GIT_SHA=unknown
ARG CREATED=unknown
ARG SOURCE_URL=unknown
LABEL org.opencontainers.image.title="hello-service" \
      org.opencontainers.image.description="The reference Rust web service of a CI/CD pipeline on AWS" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.revision="${GIT_SHA}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="MIT"
COPY --from=builder /out/hello-service /usr/local/bin/hello-service
# distroless's nonroot user, by number: a runtime checks it without reading /etc/passwd.
USER 65532:65532
EXPOSE 8080 9090
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/hello-service", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/hello-service"]
CMD ["serve"]
