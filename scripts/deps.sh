#!/usr/bin/env bash
# Installs the Debian packages that the tests need (scripts/apt-packages.txt)
# when they are missing. As root it runs apt-get; otherwise it prints the one
# command to run and exits 0, so that tests can still skip (or fail under CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
while read -r pkg prog; do
	[[ -z "${pkg}" || "${pkg}" == \#* ]] && continue
	if ! command -v "${prog}" >/dev/null 2>&1 && [[ ! -x "/usr/sbin/${prog}" && ! -x "/usr/lib/postfix/sbin/${prog}" ]]; then
		missing+=("${pkg}")
	fi
done < scripts/apt-packages.txt

if [[ ${#missing[@]} -eq 0 ]]; then
	exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: run: sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
	exit 0
fi

echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Postfix asks debconf questions; answer them so the install is unattended.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true
echo "postfix postfix/mailname string localhost" | debconf-set-selections 2>/dev/null || true
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
