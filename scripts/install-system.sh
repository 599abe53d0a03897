#!/usr/bin/env bash
# Debian packages the bot and its tests use, installed only when missing (needs root):
# espeak-ng (spoken answers), sox (audio tools in tests), chromium and a CJK font (browser
# tests), and for the telephony tests: sipp (Debian sip-tester, built with PCAP and RTP
# streaming), baresip (a realistic caller), kamailio (the SIP proxy and registrar in front
# of the bot) and tcpdump.
# PostgreSQL for the store's tests is installed by scripts/start-postgres.sh.
set -euo pipefail
declare -A need=([espeak-ng]=espeak-ng [sox]=sox [chromium]=chromium
  [sipp]=sip-tester [baresip]=baresip-core [kamailio]=kamailio [tcpdump]=tcpdump)
missing=()
for cmd in "${!need[@]}"; do
  # kamailio and tcpdump live in /usr/sbin, not on every user's PATH
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${need[$cmd]}")
done
# Headless Chromium renders Chinese pages as boxes without a CJK font.
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install: missing Debian packages: ${missing[*]} (run as root: apt-get install -y ${missing[*]})" >&2
  exit 0
fi
echo "install: apt-get install ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
