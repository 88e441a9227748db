#!/usr/bin/env bash
# Installs what the tests need (Debian packages: etcd, Maven, iproute2, curl, arping and keepalived for the --netns tests, the Python client, node and npm), then runs the whole test suite,
# scenario tests included. Run as root on a fresh machine: ./test.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
cd "$ROOT"
. scripts/jdk.sh

missing=()
command -v etcd >/dev/null 2>&1 || [ -x /usr/bin/etcd ] || missing+=(etcd-server)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
[ -x /usr/sbin/ip ] || command -v ip >/dev/null 2>&1 || missing+=(iproute2)
[ -x /usr/bin/curl ] || missing+=(curl)
# the VIP's ip mode (gratuitous ARP) and keepalived mode, for the --netns scenarios and KeepalivedTest
[ -x /usr/bin/arping ] || missing+=(iputils-arping)
[ -x /usr/sbin/keepalived ] || missing+=(keepalived)
# the official Python client, for SecurityIT (Debian's package, for the system python3)
/usr/bin/python3 -c 'import kubernetes' >/dev/null 2>&1 || missing+=(python3-kubernetes)
# node and npm, for SecurityIT's @kubernetes/client-node informer (the test installs the client from the npm registry)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]} ..."
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: installing packages needs root; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ! -x /usr/bin/kubectl ] || [ ! -x /usr/lib/google-cloud-sdk/bin/kubectl.1.27 ]; then
  # Debian's kubernetes-client is 1.20, too old for the API tests; machines of this kind ship kubectl 1.27-1.33
  # with the Google Cloud SDK. The tests that need it fail, saying so.
  echo "test.sh: warning: the API tests need the real kubectl at /usr/bin/kubectl and /usr/lib/google-cloud-sdk/bin/kubectl.1.27" >&2
fi
kubeha_find_jdk
echo "test.sh: JDK $KUBEHA_JAVA_HOME, etcd $(etcd --version 2>/dev/null | head -1 || echo missing)"
export JAVA_HOME="$KUBEHA_JAVA_HOME"

exec mvn -B -ntp verify "$@"
