# suite: default
# group: daemon
# 32 nodes routing in kdht.ko, a kdhtd on each on the kernel backend: a put
# on node 1 is read on node 32 (and every node, naming node 1's owner key), a value of many datagrams
# crosses the mesh, and the daemons' value messages went through the kernel.
# The debug kernel (--deep) runs the same with 6 nodes.
N=32
if [ -n "$KDHT_DEEP" ]; then
	N=6
fi
mesh $N
nodes_up $N
daemons_up $N

expect_ok "put on node 1" dctl 1 put greeting "hello from node 1"
owner1=$(owner_of 1)
expect_eq "get on node $N" "hello from node 1" "$(dctl $N get greeting --owner "$owner1")"
i=2
while [ $i -lt $N ]; do
	expect_eq "get on node $i" "hello from node 1" "$(dctl $i get greeting --owner "$owner1")"
	i=$((i + 4))
done

# 20,000 bytes: twenty-odd datagrams each way.
head -c 20000 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 20000 >/tmp/big
expect_ok "put a 20000-byte value on node 5" dctl 5 put --file /tmp/big big
dctl $((N - 5)) get big --owner "$(owner_of 5)" >/tmp/big.out || fail "get of the 20000-byte value on node $((N - 5)) failed"
expect_ok "20000-byte value read back intact" cmp /tmp/big /tmp/big.out

expect_ge "node 1 upcalls (value messages handed up)" 1 "$(stat_of 1 upcalls)"
expect_eq "node $N drop_no_daemon" 0 "$(stat_of $N drop_no_daemon)"
daemons_down
