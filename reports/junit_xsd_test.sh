#!/bin/sh
# junit_xsd_test.sh RENDER_SAMPLE_REPORTS XSD OUTDIR
# Renders the sample runs' junit.xml and validates each against the JUnit
# schema with xmllint. A missing xmllint is a failure, not a skip: CI must
# not go green without having validated anything.
set -eu
render=$1 xsd=$2 out=$3
if ! command -v xmllint >/dev/null 2>&1; then
  echo "FAIL: xmllint not found; install libxml2-utils (tools/install-deps.sh)" >&2
  exit 1
fi
rm -rf "$out"
timeout 60 "$render" "$out"
for run in ab hostile; do
  timeout 60 xmllint --noout --schema "$xsd" "$out/$run/junit.xml"
done
# The schema must also reject what is not JUnit, or the check above proves nothing.
printf '<testsuites><testcase name="x"/></testsuites>\n' > "$out/bad.xml"
if timeout 60 xmllint --noout --schema "$xsd" "$out/bad.xml" 2>/dev/null; then
  echo "FAIL: the schema accepted a <testcase> directly under <testsuites>" >&2
  exit 1
fi
echo "ok: junit.xml of every sample run is valid"
