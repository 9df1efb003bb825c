#!/usr/bin/env bash
# A stand-in for Airbyte's python-connector-base, for machines that cannot pull it (Docker Hub out of reach):
# Debian bookworm from Debian's own packages (its python3 is 3.11, as in the pinned base), with what the connector
# relies on from Airbyte's base: user `airbyte` (uid 1000) owning /airbyte/integration_code, /secrets and /config,
# pip installing into the system Python, UTC, and this machine's CA bundle (so pip reaches the package index the way
# the machine does). Built once per machine: an existing tag is kept.
#   scripts/standin-base.sh [TAG]     (needs root, debootstrap and a Docker engine)
set -euo pipefail
tag="${1:-source-interval-metrics/python-connector-base-standin:bookworm}"
if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "stand-in base $tag already built"
  exit 0
fi
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
mirror=${mirror:-http://deb.debian.org/debian}
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
echo "building the stand-in base $tag from Debian bookworm ($mirror)"
debootstrap --variant=minbase --include=python3,python3-pip,python3-venv,ca-certificates,tzdata \
  bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || { tail -n 20 "$rootfs.log"; exit 1; }
rm -f "$rootfs.log"
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
rm -f "$rootfs"/usr/lib/python3*/EXTERNALLY-MANAGED  # pip installs system-wide, as in the python image
ln -sf python3 "$rootfs/usr/bin/python"
ln -sf /usr/share/zoneinfo/Etc/UTC "$rootfs/etc/localtime"
echo Etc/UTC >"$rootfs/etc/timezone"
chroot "$rootfs" groupadd --gid 1000 airbyte
chroot "$rootfs" useradd --uid 1000 --gid 1000 --no-create-home --home-dir /airbyte --shell /bin/bash airbyte
mkdir -p "$rootfs/airbyte/integration_code" "$rootfs/secrets" "$rootfs/config"
chroot "$rootfs" chown -R airbyte:airbyte /airbyte /secrets /config
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
tar -C "$rootfs" -c . | docker import \
  --change 'ENV LANG=C.UTF-8' --change 'ENV TZ=UTC' --change 'ENV PIP_DISABLE_PIP_VERSION_CHECK=1' \
  --change 'WORKDIR /airbyte/integration_code' --change 'CMD ["/bin/bash"]' - "$tag" >/dev/null
echo "built the stand-in base $tag"
