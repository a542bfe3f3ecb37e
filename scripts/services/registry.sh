# shellcheck shell=bash disable=SC2034 # sets variables read by scripts/services.sh
# A real Confluent-compatible Schema Registry: Apicurio Registry, whose runnable Quarkus
# distribution (classifier "all", tar.gz) is published on Maven Central, run with its
# default in-memory H2 storage. Clients use its Confluent API under /apis/ccompat/v7.
# Sourced by scripts/services.sh after common.sh.
#
# Why 3.0.9: the 3.1+ distributions are compiled for Java 21 (class file 65) and Debian 12
# ships Java 17; 3.0.x is the newest line that runs on 17.
# Config keys: https://docs.redhat.com/en/documentation/red_hat_build_of_apicurio_registry/3.1/html/installing_and_deploying_apicurio_registry_on_openshift/registry-config-reference_registry

APICURIO_VERSION=${APICURIO_VERSION:-3.0.9}
SCHEMA_REGISTRY_PORT=${SCHEMA_REGISTRY_PORT:-8081}
# Quarkus serves health and metrics on a separate management port (build-time on, so it
# cannot be switched off); keep it on loopback and away from common defaults like 9000.
SCHEMA_REGISTRY_MANAGEMENT_PORT=${SCHEMA_REGISTRY_MANAGEMENT_PORT:-8091}
SCHEMA_REGISTRY_HEAP_OPTS=${SCHEMA_REGISTRY_HEAP_OPTS:-"-Xms128m -Xmx384m"}
SCHEMA_REGISTRY_START_TIMEOUT=${SCHEMA_REGISTRY_START_TIMEOUT:-90}
# false (the default) makes ids content ids, as in Confluent's registry: the same schema
# registered under two subjects gets one id. true makes them per-version global ids.
SCHEMA_REGISTRY_LEGACY_IDS=${SCHEMA_REGISTRY_LEGACY_IDS:-false}

REGISTRY_HOME="$SERVICES_DIR/registry"
REGISTRY_DIST="$REGISTRY_HOME/apicurio-registry-$APICURIO_VERSION"
REGISTRY_LOGS="$REGISTRY_HOME/logs"
REGISTRY_PIDFILE="$REGISTRY_HOME/registry.pid"
REGISTRY_MARKER="-Dhomeostat.service=schema-registry"
REGISTRY_ADDR="127.0.0.1:$SCHEMA_REGISTRY_PORT"
REGISTRY_LOCAL_URL="http://$REGISTRY_ADDR/apis/ccompat/v7"

registry_fetch() {
  [[ -f "$REGISTRY_DIST/.complete" ]] && return 0
  log "fetching Apicurio Registry $APICURIO_VERSION (about 110 MB, first start only)"
  rm -rf "$REGISTRY_DIST"
  # Plugin 2.8's get with transitive=false fetches the archive without reading its POM;
  # later versions (and copy) resolve the parent POM, which Central lacks for 3.0.9.
  mvn_fetch registry org.apache.maven.plugins:maven-dependency-plugin:2.8:get -Dtransitive=false \
    "-Dartifact=io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all"
  local archive="$SERVICES_DIR/m2/io/apicurio/apicurio-registry-app/$APICURIO_VERSION/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz"
  [[ -f "$archive" ]] || die "Apicurio archive missing after the Maven fetch; see $SERVICES_DIR/logs/maven-registry.log"
  mkdir -p "$REGISTRY_DIST"
  tar -xzf "$archive" -C "$REGISTRY_DIST" || die "could not unpack $archive"
  # The unpacked tree is the cache; keeping the archive too would only double the disk use.
  rm -f "$archive"
  touch "$REGISTRY_DIST/.complete"
}

# 3.0.x ships a legacy runner jar; 3.1+ ships Quarkus's fast-jar layout.
registry_jar() {
  if [[ -f "$REGISTRY_DIST/quarkus-run.jar" ]]; then
    printf '%s' "$REGISTRY_DIST/quarkus-run.jar"
    return 0
  fi
  compgen -G "$REGISTRY_DIST/*-runner.jar" | head -n 1 | grep . ||
    die "no runnable jar in $REGISTRY_DIST; delete it and start again"
}

# Sets REGISTRY_STATE to "started" when it launched a registry, "running" when one was there.
registry_start() {
  local pid jar heap
  REGISTRY_STATE=running
  if pid=$(find_pid "$REGISTRY_PIDFILE" "$REGISTRY_MARKER"); then
    log "schema registry already running (pid $pid) at $REGISTRY_LOCAL_URL"
    return 0
  fi
  if port_open "$REGISTRY_ADDR"; then
    log "something already listens on $REGISTRY_ADDR (not started by this script); using it"
    return 0
  fi
  registry_fetch
  jar=$(registry_jar)
  mkdir -p "$REGISTRY_LOGS" "$REGISTRY_HOME/tmp"
  read -r -a heap <<<"$SCHEMA_REGISTRY_HEAP_OPTS"
  log "starting Apicurio Registry $APICURIO_VERSION at $REGISTRY_LOCAL_URL (log: $REGISTRY_LOGS/registry.log)"
  # Small JDBC pool: in-memory H2 needs no 20 warm connections, and they cost start time.
  spawn "$REGISTRY_PIDFILE" "$REGISTRY_LOGS/registry.log" \
    java "${heap[@]}" -Djava.awt.headless=true "$REGISTRY_MARKER" "-Dhomeostat.services.dir=$SERVICES_DIR" \
    -Dquarkus.http.host=127.0.0.1 "-Dquarkus.http.port=$SCHEMA_REGISTRY_PORT" \
    -Dquarkus.management.host=127.0.0.1 "-Dquarkus.management.port=$SCHEMA_REGISTRY_MANAGEMENT_PORT" \
    -Dapicurio.datasource.jdbc.initial-size=2 -Dapicurio.datasource.jdbc.min-size=2 \
    "-Dapicurio.ccompat.legacy-id-mode.enabled=$SCHEMA_REGISTRY_LEGACY_IDS" \
    -Dapicurio.rest.deletion.artifact.enabled=true -Dapicurio.rest.deletion.artifact-version.enabled=true \
    "-Dapicurio.storage.snapshot.location=$REGISTRY_HOME/tmp" "-Dapicurio.import.work-dir=$REGISTRY_HOME/tmp" \
    "-Djava.io.tmpdir=$REGISTRY_HOME/tmp" '-Dquarkus.log.category."io.quarkus.http.access-log".level=WARN' \
    -jar "$jar"
  REGISTRY_STATE=started
}

registry_wait() {
  local url=$1 own_pid=${2:-} rc=0
  probe http "$url" $((SCHEMA_REGISTRY_START_TIMEOUT * 1000)) || rc=$?
  if ((rc != 0)); then
    if [[ -n "$own_pid" ]] && ! kill -0 "$own_pid" 2>/dev/null; then
      tail -n 20 "$REGISTRY_LOGS/registry.log" >&2 2>/dev/null || true
      die "schema registry exited during start-up; see $REGISTRY_LOGS/registry.log"
    fi
    [[ -n "$own_pid" || "$url" == "$REGISTRY_LOCAL_URL" ]] &&
      die "schema registry at $url not ready; see $REGISTRY_LOGS/registry.log"
    die "schema registry at $url not ready: is the URL the Confluent API base (with Apicurio: .../apis/ccompat/v7)?"
  fi
  log "schema registry ready at $url"
}

registry_stop() {
  local pid
  if pid=$(live_pid "$REGISTRY_PIDFILE" "$REGISTRY_MARKER"); then
    log "stopping schema registry (pid $pid)"
    stop_pid "$pid" 20 "schema registry"
  fi
  for pid in $(marked_pids "$REGISTRY_MARKER" "-Dhomeostat.services.dir=$SERVICES_DIR"); do
    log "stopping leftover schema registry process (pid $pid)"
    stop_pid "$pid" 20 "schema registry"
  done
  rm -f "$REGISTRY_PIDFILE"
}

registry_status() {
  local pid
  if pid=$(find_pid "$REGISTRY_PIDFILE" "$REGISTRY_MARKER"); then
    if port_open "$REGISTRY_ADDR"; then
      printf 'registry  up        pid %-8s %s  (Apicurio %s, log %s)\n' "$pid" "$REGISTRY_LOCAL_URL" \
        "$APICURIO_VERSION" "$REGISTRY_LOGS/registry.log"
      return 0
    fi
    printf 'registry  starting  pid %-8s %s  (port not open yet; log %s)\n' "$pid" "$REGISTRY_LOCAL_URL" "$REGISTRY_LOGS/registry.log"
    return 1
  fi
  if port_open "$REGISTRY_ADDR"; then
    printf 'registry  up        pid ?        %s  (not started by this script)\n' "$REGISTRY_LOCAL_URL"
    return 0
  fi
  printf 'registry  down                   %s\n' "$REGISTRY_LOCAL_URL"
  return 1
}
