#!/bin/bash
# usage: .runtest.sh TestClass  (installs upstream from this worktree, then runs the test in flotilla-cli)
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 MAVEN_OPTS=--sun-misc-unsafe-memory-access=allow
cd /work/wt-ship
mvn -Dmaven.repo.local=/work/wt-ship-m2/repository -q -o install -DskipTests -pl flotilla-cli -am 2>&1 | tail -20
mvn -Dmaven.repo.local=/work/wt-ship-m2/repository -q -o verify -pl flotilla-cli -Dtest="$1" -Dsurefire.failIfNoSpecifiedTests=false 2>&1 | grep -v "^\[.*ERROR.*\] *$" | grep -v "^\s*at \(picocli\|org.junit\|java.base\|org.apache\)" | head -60
