#!/usr/bin/env bash
# Starts the web server (ASGI: HTTP + websockets), a Celery worker and Celery beat together;
# Ctrl-C (or any of them dying) stops all three.
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=.venv/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-helpdesk.settings.local}
mkdir -p var/log

pids=()
stop() {
  trap '' INT TERM
  trap - EXIT
  echo
  echo "Stopping Jornada (web, worker, beat)..."
  kill -TERM "${pids[@]}" 2>/dev/null
  # Give the worker a moment to finish its current task, then make sure nothing is left behind.
  for _ in $(seq 1 20); do
    kill -0 "${pids[@]}" 2>/dev/null || break
    sleep 0.5
  done
  kill -KILL "${pids[@]}" 2>/dev/null
  wait 2>/dev/null
  echo "Stopped."
  exit 0
}
trap stop INT TERM EXIT

$VENV/uvicorn helpdesk.asgi:application --host "$HOST" --port "$PORT" --log-level warning &
pids+=($!)
$VENV/celery -A helpdesk worker --loglevel INFO --concurrency 2 --hostname "jornada@%h" \
  --queues default,inbound,outbound,sla >var/log/worker.log 2>&1 &
pids+=($!)
$VENV/celery -A helpdesk beat --loglevel INFO --pidfile= >var/log/beat.log 2>&1 &
pids+=($!)

for _ in $(seq 1 60); do
  if $VENV/python -c "import urllib.request as u; u.urlopen('http://$HOST:$PORT/healthz', timeout=2)" \
    2>/dev/null; then break; fi
  sleep 0.5
done

cat <<MSG

  Jornada is running on http://$HOST:$PORT/

  Demo logins (password demo1234 for all):
    manager          manager (dashboards, every team)
    n1.solver        N1 agent, solver
    n1.dispatcher    N1 agent, dispatcher
    n2.analyst       N2 agent
    n3.specialist    N3 agent
    admin            superuser: http://$HOST:$PORT/admin/
    cliente@example.com   customer (portal)

  Worker and beat logs: var/log/worker.log, var/log/beat.log
  Press Ctrl-C to stop everything.

MSG

# Whichever process ends first (Ctrl-C or a crash) brings the others down.
wait -n "${pids[@]}"
