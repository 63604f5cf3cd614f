#!/usr/bin/env bash
# Soak test: 200 small runs back to back in one JVM through the engine API; fails when resident
# memory or open file handles grow beyond the bounds it prints. Not part of CI's default run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec mvn -B -q -Dstyle.color=never -pl engine -am test -Dnetvis.excludedGroups= -Dtest=SoakTest \
  -Dsurefire.failIfNoSpecifiedTests=false -DtrimStackTrace=false
