# suite: bench
# group: bench-latency
# Benchmark, not a test: put and get latency in a mesh of N nodes with
# DELAY ms on every link (a round trip between two nodes: 2 x DELAY), kdhtd
# on kdht.ko everywhere. For each of KEYS keys, a put on one node and a get
# on another, timed by the daemons themselves (dhtctl --json): median and
# p99 in round trips, the lookups' rounds and time beside them, and what a
# get costs beyond its lookup (target: at most one round trip).
N=16
DELAY=10
KEYS=100
RTT_US=$((2 * DELAY * 1000))
mesh $N $DELAY
nodes_up $N
daemons_up $N

: >/tmp/lat
k=0
while [ $k -lt $KEYS ]; do
	p=$((k % N + 1))
	g=$(((k + N / 2) % N + 1))
	dctl $p put --json "lat-$k" "value $k" |
		jq -r '"put \(.elapsed_us) \(.lookup_us) \(.lookup_rounds)"' >>/tmp/lat ||
		fail "put lat-$k on node $p"
	dctl $g get --json "lat-$k" --owner "$(owner_of $p)" |
		jq -r '"get \(.elapsed_us) \(.lookup_us) \(.lookup_rounds)"' >>/tmp/lat ||
		fail "get lat-$k on node $g"
	k=$((k + 1))
done

# stats OP COLUMN_EXPR: median and p99 of an awk expression over OP's lines.
stats() {
	awk -v op="$1" '$1 == op { print '"$2"' }' /tmp/lat | sort -n | awk '
		{ v[NR] = $1 }
		END {
			m = v[int((NR + 1) / 2)]
			p = v[int(NR * 0.99 + 0.999)]
			printf "median %.2f, p99 %.2f", m, p
		}'
}
for op in put get; do
	log "BENCH $op (${KEYS}, link RTT $((RTT_US / 1000)) ms): in RTTs $(stats $op "\$2 / $RTT_US");" \
		"lookup $(stats $op "\$3 / $RTT_US") RTTs in $(stats $op '$4') rounds;" \
		"beyond the lookup $(stats $op "(\$2 - \$3) / $RTT_US") RTTs"
done

# One FIND_VALUE exchange between two daemons, timed alone in the same VM:
# the link's round trip plus what the emulated CPUs add on both ends (the
# upcall, the store, the reply through the module). A get beyond its
# lookup, in these units, says how many exchanges it waited for.
EX=50
on 1 kdht-values store --keys $EX --window 1 --seed 7 "$(addr4 $((N / 2 + 1))):$KDHT_PORT" \
	>/dev/null || fail "kdht-values store"
ex_us=$(on 1 kdht-values find --keys $EX --window 1 --seed 7 --json \
	"$(addr4 $((N / 2 + 1))):$KDHT_PORT" | jq -r ".seconds * 1000000 / $EX | floor")
[ "${ex_us:-0}" -gt 0 ] || fail "timing a FIND_VALUE exchange"
log "BENCH one FIND_VALUE exchange: $((ex_us / 1000)) ms ($(awk -v e="$ex_us" -v r="$RTT_US" \
	'BEGIN { printf "%.2f", e / r }') link RTTs), mean of $EX"
log "BENCH get beyond the lookup, in FIND_VALUE exchanges: $(stats get "(\$2 - \$3) / $ex_us")"
daemons_down
