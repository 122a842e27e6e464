# suite: default
# group: daemon
# deep: no (the daemon's two backends together)
# Both routing backends in one mesh: odd nodes route in kdht.ko, even nodes
# in kdhtd itself (--backend user, no kernel node in their namespace), all
# on port 4650. A value put through either kind is read through the other,
# a value of many datagrams crosses between them, and kdht.ko's own lookups
# find the userspace nodes.
N=12
mesh $N
i=1
while [ $i -le $N ]; do
	if [ $((i % 2)) -eq 1 ]; then
		node_up $i
		daemon_up $i
	else
		daemon_up $i --backend user
	fi
	i=$((i + 1))
done
i=1
while [ $i -le $N ]; do
	wait_until 60 daemon_routes_at_least $i 3
	i=$((i + 1))
done
expect_eq "node 1's backend" kernel "$(dctl 1 node --json | jq -r .backend)"
expect_eq "node 2's backend" user "$(dctl 2 node --json | jq -r .backend)"

expect_ok "put through a kernel node" dctl 1 put from-kernel "put on node 1"
for i in 2 8 12; do
	expect_eq "get on user node $i" "put on node 1" "$(dctl $i get from-kernel --owner "$(owner_of 1)")"
done
expect_ok "put through a user node" dctl 4 put from-user "put on node 4"
for i in 3 7 11; do
	expect_eq "get on kernel node $i" "put on node 4" "$(dctl $i get from-user --owner "$(owner_of 4)")"
done

head -c 20000 /dev/urandom >/tmp/mixed-big
expect_ok "put a 20000-byte value through user node 6" dctl 6 put --file /tmp/mixed-big big
dctl 9 get big --owner "$(owner_of 6)" >/tmp/mixed-big.out || fail "get of the 20000-byte value on kernel node 9 failed"
expect_ok "20000-byte value read back intact on a kernel node" cmp /tmp/mixed-big /tmp/mixed-big.out

# kdht.ko's lookup, without the daemon, returns a userspace node first.
id8=$(dctl 8 node --json | jq -r .id)
expect_eq "kernel lookup of user node 8 from node 3" "$id8" \
	"$(on 3 dhtctl -k lookup "$id8" --json | jq -r '.nodes[0].id')"
i=1
while [ $i -le $N ]; do
	expect_ok "node $i's daemon logged no warning" daemon_log_clean $i
	i=$((i + 1))
done
daemons_down
