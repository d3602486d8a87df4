# opsmetrics in server mode: a static binary, no libchdb (the embedded engine
# is for single-node installs; this image talks to a ClickHouse server).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -ldflags "-s -w" -o /opsmetrics ./cmd/opsmetrics

# The binary alone (about 20 MB): everything but the reports' PDFs, whose
# download answers 503 saying Chromium is missing.
#   docker build --target slim -t opsmetrics:slim .
FROM gcr.io/distroless/static-debian12:nonroot AS slim
COPY --from=build /opsmetrics /opsmetrics
EXPOSE 8080
ENTRYPOINT ["/opsmetrics"]
CMD ["serve", "--addr", ":8080"]

# The default image: the binary and Debian's headless Chromium, which prints
# the reports' PDFs (docs/reports.md, "The PDF"), with fonts for Latin,
# Greek and Cyrillic text. Chromium and its libraries add about 450 MB.
FROM debian:bookworm-slim
RUN apt-get update && \
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-dejavu-core fonts-liberation ca-certificates && \
	rm -rf /var/lib/apt/lists/* && \
	useradd --system --uid 65532 --home-dir /home/nonroot --create-home nonroot
COPY --from=build /opsmetrics /opsmetrics
USER 65532:65532
ENV OPSMETRICS_CHROMIUM=/usr/bin/chromium
EXPOSE 8080
ENTRYPOINT ["/opsmetrics"]
CMD ["serve", "--addr", ":8080"]
