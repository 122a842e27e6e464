# suite: default
# group: daemon
# Only the registered daemon's socket gets upcalls: a second REGISTER is
# refused while it is open, and a process without CAP_NET_ADMIN in the
# namespace can neither register, nor join the routes group, nor read the
# node, its table or its counters.
mesh 2
daemon_up 1
daemon_up 2
all_tables_at_least 2 1 60

out=$(on 1 kdht-nlprobe --register)
log "root, second REGISTER: $out"
expect_eq "second REGISTER" -16 "$(echo "$out" | jq .register)"

# An unprivileged process listens while the mesh talks: a put from node 2
# is an upcall to node 1's daemon, a restart of node 2 is a routes event.
as_nobody 1 "kdht-nlprobe --register --subscribe --listen $(scaled 6)" >/tmp/probe &
probe=$!
sleep 1
dctl 2 put secret "for node 1's daemon only" || fail "put on node 2 failed"
on 2 dhtctl -k node up --id "$(random_id)" >/dev/null || fail "node 2 restart failed"
on 2 dhtctl -k bootstrap "$(addr4 1):$KDHT_PORT" || fail "node 2 bootstrap failed"
wait "$probe" || fail "kdht-nlprobe as nobody failed"
out=$(cat /tmp/probe)
log "nobody: $out"
expect_eq "unprivileged REGISTER" -1 "$(echo "$out" | jq .register)"
expect_eq "unprivileged routes group" -1 "$(echo "$out" | jq .subscribe)"
expect_eq "upcalls an unprivileged process got" 0 "$(echo "$out" | jq .upcalls)"
expect_eq "routes events an unprivileged process got" 0 "$(echo "$out" | jq .route_events)"
for verb in node routes stats; do
	as_nobody 1 "dhtctl -k $verb" >/dev/null 2>&1 && fail "dhtctl -k $verb as nobody succeeded"
	log "ok: dhtctl -k $verb refused to nobody"
done
expect_ok "the daemon still serves" dctl 1 node
expect_ge "node 1 upcalls" 1 "$(stat_of 1 upcalls)"
