# suite: default
# group: daemon
# deep: no (the tag check is the core's, unit-tested and fuzzed; 20 daemons are too slow there)
# A closed mesh: 16 nodes with kdhtd on the kernel backend and one mesh key,
# and 4 outsider namespaces bootstrapping into it with kdhtd: 17 and 18
# with another key, 19 and 20 with none; 19 and 20 also flood PINGs and
# FIND_NODEs at members. The members' tables never hold an outsider, the
# outsiders' stay empty, no datagram is answered to an outsider (their
# nodes and their flooders receive nothing), puts and gets among members
# work, and the members count what they dropped as drop_bad_tag.
M=16
N=20
mesh $N
dhtctl mesh keygen /tmp/mesh-a.key || fail "dhtctl mesh keygen failed"
dhtctl mesh keygen /tmp/mesh-b.key || fail "dhtctl mesh keygen failed"
for i in $(seq $M); do
	daemon_up "$i" --mesh-key /tmp/mesh-a.key
done
daemon_up 17 --mesh-key /tmp/mesh-b.key
daemon_up 18 --mesh-key /tmp/mesh-b.key
daemon_up 19
daemon_up 20
all_tables_at_least $M 3 60
expect_eq "node 1's mesh" "mesh: closed" "$(on 1 dhtctl -k mesh show)"
expect_eq "node 19's mesh" "mesh: open" "$(on 19 dhtctl -k mesh show)"

expect_ok "put on member 1" dctl 1 put greeting "hello closed mesh"
expect_eq "get on member $M" "hello closed mesh" "$(dctl $M get greeting)"
head -c 5000 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 5000 >/tmp/big
expect_ok "put a 5000-byte value under a mesh name on member 5" dctl 5 put --file /tmp/big big
dctl 12 get big >/tmp/big.out || fail "get of the 5000-byte value on member 12 failed"
expect_ok "5000-byte value read back intact" cmp /tmp/big /tmp/big.out
dctl 19 get greeting >/dev/null 2>&1 && fail "outsider 19 read a member's value"

ping=$(on 19 kdht-flood --type ping --rate 500 --duration 2 --linger 1 --json "$(addr4 1):$KDHT_PORT")
log "outsider PING flood: $ping"
find=$(on 20 kdht-flood --type find_node --rate 500 --duration 2 --linger 1 --json \
	"$(addr4 2):$KDHT_PORT")
log "outsider FIND_NODE flood: $find"
expect_ge "PINGs the outsider sent" 100 "$(echo "$ping" | jq .sent)"
expect_eq "replies to the outsider's PINGs" 0 "$(echo "$ping" | jq .received)"
expect_eq "replies to the outsider's FIND_NODEs" 0 "$(echo "$find" | jq .received)"
expect_ge "member 1 drop_bad_tag" "$(echo "$ping" | jq .sent)" "$(stat_of 1 drop_bad_tag)"
expect_ge "member 2 drop_bad_tag" "$(echo "$find" | jq .sent)" "$(stat_of 2 drop_bad_tag)"

outsiders="$(addr4 17)|$(addr4 18)|$(addr4 19)|$(addr4 20)"
for i in $(seq $M); do
	on "$i" dhtctl -k routes | grep -Eq "$outsiders" &&
		fail "member $i lists an outsider: $(on "$i" dhtctl -k routes)"
done
log "ok: no member lists an outsider"
bad_tags=0
for i in $(seq $M); do
	bad_tags=$((bad_tags + $(stat_of "$i" drop_bad_tag)))
done
for i in 17 18 19 20; do
	expect_eq "outsider $i table size" 0 "$(table_size $i)"
	expect_eq "outsider $i datagrams received from the mesh" 0 "$(stat_of $i rx_packets)"
done
log "figures: datagrams from outsiders answered: $(( $(echo "$ping" | jq .received) + \
$(echo "$find" | jq .received) )); drop_bad_tag over the members: $bad_tags"
daemons_down
