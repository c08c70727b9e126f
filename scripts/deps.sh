#!/usr/bin/env bash
# Installs the Debian packages that the tests need (scripts/apt-packages.txt)
# when they are missing. The proof of a package is a program on the PATH or
# an absolute path that must exist (a jar, for instance). As root it runs
# apt-get; otherwise it prints the one command to run and exits 0, so that
# tests can still skip (or fail under CI=true).
#
# The tests start their own private Postfix, Dovecot and PostgreSQL instances.
# apt enables (and on a systemd host starts) the system-wide services of these
# packages, so the services of the packages installed here are stopped and
# disabled right after: the machine keeps no mail or database server of ours
# listening on the default ports. Services that were there before are left alone.
set -euo pipefail

# services_of PACKAGE: the system service that the package enables, if any.
services_of() {
	case "$1" in
	postfix) echo postfix ;;
	dovecot-*) echo dovecot ;;
	postgresql | postgresql-[0-9]*) echo postgresql ;;
	esac
}

# init_system: systemd, sysv or none (a container without an init, where
# nothing starts services and there is nothing to do).
init_system() {
	if [[ -d "${DEPS_SYSTEMD_DIR:-/run/systemd/system}" ]]; then
		echo systemd
	elif [[ "$(cat "${DEPS_PROC1_COMM:-/proc/1/comm}" 2>/dev/null)" == init ]]; then
		echo sysv
	else
		echo none
	fi
}

# quiet_services SERVICE...: stop and disable system services.
quiet_services() {
	local init svc
	init="$(init_system)"
	for svc in "$@"; do
		case "${init}" in
		systemd)
			echo "deps: stopping and disabling the system ${svc} service (the tests run their own)" >&2
			systemctl disable --now "${svc}.service" >/dev/null 2>&1 || true
			;;
		sysv)
			[[ -x "${DEPS_INITD:-/etc/init.d}/${svc}" ]] || continue
			echo "deps: stopping and disabling the system ${svc} service (the tests run their own)" >&2
			invoke-rc.d "${svc}" stop >/dev/null 2>&1 || true
			update-rc.d "${svc}" disable >/dev/null 2>&1 || true
			;;
		esac
	done
}

main() {
	cd "$(dirname "$0")/.."
	local missing=() services=() pkg prog svc
	while read -r pkg prog; do
		[[ -z "${pkg}" || "${pkg}" == \#* ]] && continue
		if [[ "${prog}" == /* ]]; then
			[[ -e "${prog}" ]] || missing+=("${pkg}")
		elif ! command -v "${prog}" >/dev/null 2>&1 && [[ ! -x "/usr/sbin/${prog}" && ! -x "/usr/lib/postfix/sbin/${prog}" ]]; then
			missing+=("${pkg}")
		fi
	done < scripts/apt-packages.txt

	if [[ ${#missing[@]} -eq 0 ]]; then
		exit 0
	fi

	if [[ "$(id -u)" -ne 0 ]]; then
		echo "deps: missing packages: ${missing[*]}" >&2
		echo "deps: run: sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
		echo "deps: then stop and disable the system services they enable (the tests run their own instances): sudo systemctl disable --now postfix dovecot postgresql" >&2
		exit 0
	fi

	echo "deps: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	# Postfix asks debconf questions; answer them so the install is unattended.
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true
	echo "postfix postfix/mailname string localhost" | debconf-set-selections 2>/dev/null || true
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

	for pkg in "${missing[@]}"; do
		svc="$(services_of "${pkg}")"
		if [[ -n "${svc}" && " ${services[*]} " != *" ${svc} "* ]]; then
			services+=("${svc}")
		fi
	done
	if [[ ${#services[@]} -gt 0 ]]; then
		quiet_services "${services[@]}"
	fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	main "$@"
fi
