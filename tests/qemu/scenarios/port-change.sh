# suite: default
# group: kernel
# SET_NODE to a port in use fails with a clear error and leaves the node
# running on its old port with its table; a free port then works.
mesh 3
nodes_up 3
bootstrap_all 3
wait_until 60 table_at_least 1 2
before=$(table_size 1)
id1=$(node_id 1)

# Something else holds UDP port 4700 in node 1's namespace: a kdhtd of the
# user backend.
mkdir -p /tmp/kdhtd/hold /run/kdht
"$IP" netns exec n1 kdhtd --backend user --state-dir /tmp/kdhtd/hold \
	--socket /run/kdht/hold.sock --port 4700 --log-level warn >/tmp/kdhtd/hold.log 2>&1 &
holder=$!
wait_until 60 on 1 dhtctl -s /run/kdht/hold.sock node
err=$(on 1 dhtctl -k node up --port 4700 2>&1) && fail "node up on a port in use succeeded"
log "node up --port 4700: $err"
case "$err" in
*"port in use"*) ;;
*) fail "node up on a port in use: expected 'port in use', saw '$err'" ;;
esac
expect_eq "node 1 running" 1 "$(proc_of 1 running)"
expect_eq "node 1 port" "$KDHT_PORT" "$(proc_of 1 port)"
expect_eq "node 1 id" "$id1" "$(node_id 1)"
expect_ge "node 1 table" "$before" "$(table_size 1)"
id2=$(node_id 2)
expect_eq "node 1 still finds node 2" "$id2" "$(on 1 dhtctl -k lookup "$id2" --json | jq -r '.nodes[0].id')"
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true

expect_ok "node up on a free port" on 1 dhtctl -k node up --port 4701
expect_eq "node 1 port" 4701 "$(proc_of 1 port)"
