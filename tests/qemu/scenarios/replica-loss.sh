# suite: default
# group: daemon
# deep: no (the daemon's re-replication)
# Two of the three replicas of a key go down, daemon and routing node at
# once, as hosts do: a get of the key still succeeds, and within the
# republish interval (shortened to REPUBLISH s) every key is held again by
# the three live nodes nearest to it, the keys nobody read included.
N=10
KEYS=12
REPUBLISH=20
mesh $N
nodes_up $N
i=1
while [ $i -le $N ]; do
	daemon_up $i --republish-interval $REPUBLISH
	i=$((i + 1))
done
: >/tmp/ids
i=1
while [ $i -le $N ]; do
	wait_until 60 table_at_least $i 3
	echo "$i $(dctl $i node --json | jq -r .id)" >>/tmp/ids
	i=$((i + 1))
done
live=$(cut -d' ' -f1 /tmp/ids | tr '\n' ' ')

# replicas KEYHEX: the three live nodes nearest to the key, by number.
replicas() {
	# shellcheck disable=SC2046 # ids are separate words
	for _id in $(nearest 3 "$1" $(for _l in $live; do awk -v n="$_l" '$1 == n { print $2 }' /tmp/ids; done)); do
		awk -v id="$_id" '$2 == id { print $1 }' /tmp/ids
	done | tr '\n' ' '
}

# place: /tmp/placed gets "K NODE NODE NODE" for every key, from the live set.
place() {
	while read -r _k _hex; do
		echo "$_k $(replicas "$_hex")"
	done </tmp/keys >/tmp/placed
}

# hex_of K: key-K's key, as its put printed it.
hex_of() {
	awk -v k="$1" '$1 == k { print $2 }' /tmp/keys
}

# show_placement: who should hold each key, and who does.
show_placement() {
	while read -r _k _r1 _r2 _r3; do
		_held=""
		for _h in $live; do
			dctl "$_h" get --local --hex "$(hex_of "$_k")" >/dev/null 2>&1 &&
				_held="$_held $_h"
		done
		echo "key-$_k: nearest live $_r1 $_r2 $_r3; held by$_held"
	done </tmp/placed
}

: >/tmp/keys
k=0
while [ $k -lt $KEYS ]; do
	hex=$(dctl $((k % N + 1)) put --json "key-$k" "value $k" | jq -r .key) ||
		fail "put key-$k"
	echo "$k $hex" >>/tmp/keys
	k=$((k + 1))
done
# Every key is held by its three nearest live nodes (a put returns at two
# acknowledgements; the third follows).
all_placed() {
	while read -r _k _r; do
		# shellcheck disable=SC2086
		[ "$(holders "$(hex_of "$_k")" $_r)" -eq 3 ] || return 1
	done </tmp/placed
}
place
wait_for 90 all_placed || { show_placement; fail "keys not held by their nearest nodes"; }
log "ok: $KEYS keys held by their three nearest nodes"

# Two of key-0's replicas go down.
down=$(replicas "$(awk '$1 == 0 { print $2 }' /tmp/keys)" | cut -d' ' -f1-2)
for i in $down; do
	daemon_kill $i
	on $i dhtctl -k node down >/dev/null || fail "node $i: dhtctl -k node down"
done
hit=0
while read -r k hex; do
	for i in $(replicas "$hex"); do
		echo " $down " | grep -q " $i " && { hit=$((hit + 1)); break; }
	done
done </tmp/keys
live=$(for i in $live; do echo " $down " | grep -q " $i " || echo "$i"; done | tr '\n' ' ')
place
log "nodes $down are down, $hit keys lost replicas; live: $live"
expect_ge "keys besides key-0 that lost a replica" 2 "$hit"

# shellcheck disable=SC2046
reader=$(for i in $live; do echo " $(replicas "$(awk '$1 == 0 { print $2 }' /tmp/keys)") " | grep -q " $i " || { echo "$i"; break; }; done)
expect_eq "get key-0 on node $reader with two of its replicas down" "value 0" \
	"$(dctl "$reader" get --hex "$(hex_of 0)")"
wait_for $((REPUBLISH * 4)) all_placed ||
	{ show_placement; fail "keys not held again by their nearest live nodes"; }
log "ok: every key is held by its three nearest live nodes again"
while read -r k hex; do
	[ "$(dctl "$reader" get --hex "$hex")" = "value $k" ] || fail "get key-$k on node $reader"
done </tmp/keys
log "ok: all $KEYS keys readable"
daemons_down
