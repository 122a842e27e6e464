# suite: default
# group: kernel
# deep: no (the harness itself)
# The harness's own machinery, without kdht: namespaces on a bridge, IPv4
# and IPv6 between them, netem delay and loss where asked, a clean start.

expect_eq "namespaces left from an earlier scenario" "" "$("$IP" netns list)"

mesh 3
add_node 4 30 0
add_node 5 0 100

expect_ok "n1 reaches n3 over IPv4" on 1 ping -c 1 -W 5 "$(addr4 3)"
expect_ok "n3 reaches n1 over IPv6" on 3 ping -c 1 -W 5 "$(addr6 1)"

# n4 delays what it sends by 30 ms: a round trip to it takes at least that.
rtt=$(on 1 ping -c 3 -W 5 "$(addr4 4)" | sed -n 's/.*time=\([0-9]*\).*/\1/p' | sort -n | head -n 1)
expect_ge "smallest RTT n1 -> n4 (ms)" 30 "$rtt"

# n5 loses everything it sends.
if on 1 ping -c 3 -W 1 "$(addr4 5)" >/dev/null; then
	fail "n5 has 100% loss on its link but answered a ping"
fi
log "ok: n5 is unreachable"

del_node 2
expect_eq "namespaces after deleting n2" "n1 n3 n4 n5" "$("$IP" netns list | cut -d' ' -f1 | sort | tr '\n' ' ' | sed 's/ $//')"
