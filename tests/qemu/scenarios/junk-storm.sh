# suite: default
# group: kernel
# 50,000 malformed datagrams of every class over IPv4 and 10,000 over IPv6
# (3,000 and 1,000 on the debug kernel): no oops, no WARN (either would
# panic the VM), drop counters moved, and the node still answers a ping.
COUNT=50000
COUNT6=10000
if [ -n "$KDHT_DEEP" ]; then
	COUNT=3000
	COUNT6=1000
fi

mesh 2
node_up 1
# Every datagram must reach the parser, not stop at the rate limiter.
on 1 dhtctl -k node set --rate 1000000 --burst 1000000 || fail "dhtctl -k node set --rate failed"
# drops I: the sum of node I's drop counters.
drops() {
	on "$1" cat /proc/net/kdht | awk '$1 ~ /^drop_/ { s += $2 } END { print s + 0 }'
}

drops_at_least() {
	[ "$(drops "$1")" -ge "$2" ]
}
before=$(drops 1)

out=$(on 2 kdht-junk --count "$COUNT" --seed 7 --json "$(addr4 1):$KDHT_PORT")
log "v4: $out"
expect_eq "junk datagrams sent over IPv4" "$COUNT" "$(echo "$out" | jq .sent)"
out=$(on 2 kdht-junk --count "$COUNT6" --seed 8 --json "[$(addr6 1)]:$KDHT_PORT")
expect_eq "junk datagrams sent over IPv6" "$COUNT6" "$(echo "$out" | jq .sent)"

# The node counts what its socket still holds after the tool has exited.
wait_for 30 drops_at_least 1 $((before + COUNT / 2)) ||
	log "drop counters still short of half the junk"
after=$(drops 1)
on 1 cat /proc/net/kdht | grep '^drop_'
# The receive path may drop some under load before the node sees them;
# most must be seen and rejected.
expect_ge "datagrams dropped by reason" $((COUNT / 2)) $((after - before))
for reason in drop_truncated drop_trailing drop_bad_magic drop_bad_version drop_bad_type drop_bad_length drop_bad_padding; do
	expect_ge "node 1 $reason" 1 "$(stat_of 1 "$reason")"
done
expect_all_answered "PINGs after the storm" \
	"$(on 2 kdht-flood --rate 5 --duration 1 --linger "$(scaled 5)" --json "$(addr4 1):$KDHT_PORT")" pong
