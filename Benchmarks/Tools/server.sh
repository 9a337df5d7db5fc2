# Shell functions the bench scripts share; source it. Expects SERVER_PID
# to hold the id of the server the script started.

# stop_server: SIGTERM, then SIGKILL after 15 s.
stop_server() {
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 150); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}
