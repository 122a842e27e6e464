# suite: default
# group: daemon
# deep: no (the daemon's durability)
# kill -9 in a put storm: first node 3's daemon, a replica of many of the
# keys, then node 2's, the daemon the puts go through. Restarted on their
# state directories, both open their stores cleanly and log nothing amiss,
# and every put that was acknowledged reads back intact from another node.
N=8
mesh $N
nodes_up $N
daemons_up $N

storm() {
	_k=1
	while [ $_k -le 300 ]; do
		dctl 2 put "storm-$_k" "value of $_k" >/dev/null 2>&1 && echo $_k >>/tmp/acked
		_k=$((_k + 1))
	done
}
: >/tmp/acked
storm &
storm_pid=$!
acked_at_least() {
	[ "$(wc -l </tmp/acked)" -ge "$1" ]
}
wait_until 60 acked_at_least 20
daemon_kill 3
log "node 3's daemon killed after $(wc -l </tmp/acked) acknowledged puts"
wait_until 60 acked_at_least 40
daemon_kill 2
log "node 2's daemon killed after $(wc -l </tmp/acked) acknowledged puts"
# Nothing more can be acknowledged: the storm ends here.
kill "$storm_pid"
wait "$storm_pid" || :
acked=$(wc -l </tmp/acked)
expect_ge "puts acknowledged" 40 "$acked"
expect_le "puts acknowledged" 299 "$acked"

for i in 2 3; do
	expect_ok "node $i's store opens cleanly after the kill" mdb_stat "/tmp/kdhtd/n$i" >/dev/null
	: >"/tmp/kdhtd/n$i.log"
	daemon_up $i
done
wait_until 60 daemon_routes_at_least 2 3
wait_until 60 daemon_routes_at_least 3 3
missing=0
owner2=$(owner_of 2)
while read -r k; do
	got=$(dctl 5 get "storm-$k" --owner "$owner2" 2>&1)
	[ "$got" = "value of $k" ] || { echo "storm-$k: '$got'"; missing=$((missing + 1)); }
done </tmp/acked
expect_eq "acknowledged puts not read back" 0 "$missing"
for i in 2 3; do
	expect_ok "node $i's restarted daemon logged no warning" daemon_log_clean $i
done
daemons_down
