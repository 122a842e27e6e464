# suite: attack (run by name: one insider's STORE flood at a node now makes
# that node's own puts fail, since kdht.ko delivers the daemon's ERROR
# UNVALIDATED and the attacker's STOREs come back with a token; the
# scenario stays out of the default suite until a flood cannot starve puts)
# group: daemon
# deep: no (20 daemons under a 2-minute flood: the debug kernel's run would pass 400 s; the value checks are the daemon's, run here on Debian's kernel)
# Values under attack, in two meshes of the same 20 namespaces.
# Closed: 16 members with kdhtd and one mesh key; outsiders 17 and 18 run
# kdhtd without it, 19 and 20 hurl STOREs (squats, floods) and FIND_VALUEs
# at members: no outsider is answered a single datagram.
# Open: 16 honest kdhtd (4 replicas) and 4 insider attackers, each a node
# of the mesh (kdht-sybil with one address: a real id in the honest tables,
# so that puts pick it as a replica; 17 and 18 forge the records they are
# asked for, 19 and 20 acknowledge STOREs and keep nothing) that, for
# FLOOD seconds, squats and forges the honest names, equivocates its own,
# sends first parts of values that never end, and floods STOREs. Meanwhile
# the honest nodes do about 1,000 operations (512 puts, then from another
# node a get of every record a put acknowledged): every get returns exactly
# the bytes put, no attacker STORE of an honest name is taken, every
# operation ends within its deadline (a put may fail with a clear error when
# too few replicas answer in time, but not most), and each honest daemon's
# memory and LMDB stay within a bound. Known gap: the daemons' answers to the
# attackers' STOREs (ERROR UNVALIDATED, with the token) never reach the
# attackers here, so those STOREs stop at the token gate (asserted) and the
# record checks behind it are not reached (tests/daemon/squat.sh reaches them).
M=16
N=20
FLOOD=120
PER_NODE=16		# named puts and immutable puts per honest node
OP_DEADLINE=$(scaled 45)	# dhtctl --timeout of one put or get
QUOTA_RECORDS=4096	# per source prefix: what one attacker may park at a node
QUOTA_BYTES=$((4 << 20))
RSS_MAX_KB=$((64 << 10))	# each honest kdhtd after the flood
LMDB_MAX_KB=$((32 << 10))	# 4 attackers' quotas, the honest records, B-tree slack
mesh $N

# answered JSON: the replies a kdht-values run got, of any kind.
answered() {
	echo "$1" | jq '.stored + .refused + .found + .missing + .wrong + .errors + .other'
}

# on_every_honest FN ARGS...: FN I ARGS... for nodes I = 1..M side by side
# (a daemon's start waits on its bootstrap, an operation on replies, more
# than on the CPU); returns when all did.
on_every_honest() {
	_fn=$1
	shift
	_workers=
	for _i in $(seq $M); do
		"$_fn" "$_i" "$@" &
		_workers="$_workers $!"
	done
	for _w in $_workers; do
		wait "$_w" || fail "$_fn: a worker exited with $?"
	done
}

# --- The closed mesh: outsiders get nothing back. ---
dhtctl mesh keygen /tmp/mesh.key || fail "dhtctl mesh keygen failed"
on_every_honest daemon_up --mesh-key /tmp/mesh.key
daemon_up 17
daemon_up 18
all_tables_at_least $M 3 60
squat=$(on 19 kdht-values store --squat "$(owner_of 1)" --keys 200 --duration 5 --json \
	"$(addr4 1):$KDHT_PORT" 2>/dev/null)
flood=$(on 20 kdht-values store --keys 100000 --window 64 --duration 5 --json \
	"$(addr4 2):$KDHT_PORT")
find=$(on 20 kdht-values find --keys 200 --duration 5 --json "$(addr4 3):$KDHT_PORT")
log "outsider squat: $squat; flood: $flood; find: $find"
expect_ge "STOREs the outsiders sent" 100 "$(( $(echo "$squat" | jq .sent) + $(echo "$flood" | jq .sent) ))"
outsider_answers=$(( $(answered "$squat") + $(answered "$flood") + $(answered "$find") ))
for i in 17 18; do
	expect_eq "outsider $i table size" 0 "$(table_size $i)"
	outsider_answers=$((outsider_answers + $(stat_of $i rx_packets)))
done
bad_tags=0
for i in $(seq $M); do
	bad_tags=$((bad_tags + $(stat_of "$i" drop_bad_tag)))
done
log "figures: datagrams from outsiders answered (must be 0): $outsider_answers; drop_bad_tag over the members: $bad_tags"
expect_eq "datagrams from outsiders answered" 0 "$outsider_answers"
expect_ge "drop_bad_tag over the members" "$(echo "$flood" | jq .sent)" "$bad_tags"

# --- The open mesh: the same namespaces, fresh identities, no key. ---
daemons_down
rm -rf /tmp/kdhtd /run/kdht
on 17 dhtctl -k node down >/dev/null || fail "node 17: dhtctl -k node down"
on 18 dhtctl -k node down >/dev/null || fail "node 18: dhtctl -k node down"
on_every_honest daemon_up --replicas 4 --quota-source-records $QUOTA_RECORDS --quota-source-bytes $QUOTA_BYTES
all_tables_at_least $M 3 60
: >/tmp/owners
for i in $(seq $M); do
	echo "$i $(owner_of "$i")" >>/tmp/owners
done
# owner I: node I's owner key.
owner() {
	awk -v n="$1" '$1 == n { print $2 }' /tmp/owners
}

# Not through on(): ip netns exec execs kdht-sybil, so $! is its pid and a
# TERM makes it print its counts.
: >/tmp/sybil.pids
for a in 17 18 19 20; do
	mode=withhold
	[ $a -le 18 ] && mode=forge
	"$IP" netns exec "n$a" kdht-sybil --first "$(addr4 $a)" --addresses 1 --mode $mode \
		--bootstrap "$(addr4 1)" --bootstrap "$(addr4 2)" --announce 2 --seed $a --json \
		"$(random_id)" >"/tmp/sybil-$a.out" 2>"/tmp/sybil-$a.err" &
	echo $! >>/tmp/sybil.pids
done
# insiders_known I: node I's table holds all 4 attackers.
insiders_known() {
	[ "$(on "$1" dhtctl -k routes | grep -cE " 10\.0\.(17|18|19|20)\.1:")" -eq 4 ]
}
wait_until 60 insiders_known 1
wait_until 60 insiders_known $M
known=0
for i in $(seq $M); do
	known=$((known + $(on "$i" dhtctl -k routes | grep -cE " 10\.0\.(17|18|19|20)\.1:" || :)))
done
log "attackers in the honest tables: $known (of $((4 * M)) places)"

# attack A MODE...: attacker A's rounds of kdht-values store until FLOOD
# seconds from now pass, round R in the R-th MODE (cycling), aimed at honest
# node R mod M + 1, each round's counts appended to /tmp/attack-A and its
# stderr to /tmp/attack-A.err. A round of the short modes (squat, forge,
# equivocate: one STORE per name) is followed by a second's pause: the
# attacker's pace, which the long ones set with their window.
attack() {
	_a=$1
	shift
	_end=$(($(cut -d. -f1 /proc/uptime) + FLOOD))
	_r=0
	while :; do
		_left=$((_end - $(cut -d. -f1 /proc/uptime)))
		[ $_left -gt 0 ] || break
		_t=$((_r % M + 1))
		_mode=$(echo "$@" | cut -d' ' -f$((_r % $# + 1)))
		# shellcheck disable=SC2046 # the mode's words
		on "$_a" kdht-values store --duration $_left --timeout $(scaled 2) --json $(attack_args $_mode) \
			"$(addr4 $_t):$KDHT_PORT" >>"/tmp/attack-$_a" 2>>"/tmp/attack-$_a.err" ||
			log "attacker $_a: kdht-values $_mode failed: $(tail -n 1 "/tmp/attack-$_a.err")"
		case $_mode in flood|partial) ;; *) sleep 1 ;; esac
		_r=$((_r + 1))
	done
}
# attack_args MODE: the kdht-values options of one round of MODE, round _r
# (attack's): squats and forgeries take the names of every honest owner in
# turn; equivocations write the same names of one signer with other bytes
# at every target.
attack_args() {
	case $1 in
	flood) echo "--keys 1000000 --size 800 --window 64 --seed $_r" ;;
	partial) echo "--keys 1000000 --partial 16 --window 64 --seed $_r" ;;
	squat) echo "--keys $PER_NODE --squat $(owner $(( (_r / 2) % M + 1 )))" ;;
	forge) echo "--keys $PER_NODE --forge $(owner $(( (_r / 2) % M + 1 )))" ;;
	equivocate) echo "--keys $PER_NODE --equivocate --signer 20 --seed $_r" ;;
	esac
}
rm -f /tmp/attack-*
attack 17 flood &
a17=$!
attack 18 partial &
a18=$!
attack 19 squat forge &
a19=$!
attack 20 equivocate &
a20=$!
log "attackers at work for ${FLOOD}s"

# op I WHAT DHTCTL_ARGS...: one honest operation on node I, its outcome
# ("WHAT rc SECONDS") appended to /tmp/ops/I, its output in /tmp/ops/out.
# timeout kills a dhtctl that outlives its own deadline: counted as not ended.
op() {
	_i=$1
	_what=$2
	shift 2
	_t0=$(cut -d' ' -f1 /proc/uptime)
	timeout -s KILL $((OP_DEADLINE + 15)) dhtctl -s "/run/kdht/n$_i.sock" --timeout $OP_DEADLINE \
		"$@" </dev/null >"/tmp/ops/out$_i" 2>"/tmp/ops/err$_i"
	_rc=$?
	echo "$_what $_rc $(awk -v a="$_t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { print b - a }')" \
		>>"/tmp/ops/$_i"
	[ $_rc -eq 0 ] || log "node $_i: $_what: exit $_rc: $(cat "/tmp/ops/err$_i")"
	return $_rc
}
# puts I: node I's named and immutable puts; what each acknowledged put
# wrote, as "named K" or "immutable K KEY", to /tmp/ops/put-I.
puts() {
	: >"/tmp/ops/put-$1"
	for _k in $(seq 0 $((PER_NODE - 1))); do
		if op "$1" put put "name-$_k" "named $_k of node $1"; then
			echo "named $_k" >>"/tmp/ops/put-$1"
		fi
		if op "$1" put put --json --immutable "immutable $_k of node $1"; then
			echo "immutable $_k $(jq -r .key "/tmp/ops/out$1")" >>"/tmp/ops/put-$1"
		fi
	done
}
# get_is I WANT GET_ARGS...: a get on node I; bytes other than WANT are
# written down as "wrong".
get_is() {
	_gi=$1
	_want=$2
	shift 2
	if op "$_gi" get get "$@" && [ "$(cat "/tmp/ops/out$_gi")" != "$_want" ]; then
		echo "wrong: get $* read '$(head -c 80 "/tmp/ops/out$_gi")', not '$_want'" \
			>>"/tmp/ops/$_gi"
	fi
	return 0
}
# gets I: node I reads every record node J's puts wrote, J the next node.
gets() {
	_j=$(($1 % M + 1))
	_o=$(owner $_j)
	while read -r _kind _k _key; do
		if [ "$_kind" = named ]; then
			get_is "$1" "named $_k of node $_j" "name-$_k" --owner "$_o"
		else
			get_is "$1" "immutable $_k of node $_j" --hex "$_key"
		fi
	done <"/tmp/ops/put-$_j"
}
rm -rf /tmp/ops
mkdir -p /tmp/ops
on_every_honest puts
log "puts done"
on_every_honest gets
log "gets done"
still_attacking=0
for p in $a17 $a18 $a19 $a20; do
	kill -0 "$p" 2>/dev/null && still_attacking=$((still_attacking + 1))
done
log "attackers still at work when the honest operations ended: $still_attacking of 4"
for p in $a17 $a18 $a19 $a20; do
	wait "$p" || fail "an attacker's loop exited with $?"
done
log "attackers done"

# --- What the honest nodes saw. ---
cat /tmp/ops/[0-9]* >/tmp/ops/all
puts_started=$((M * PER_NODE * 2))
puts_ok=$(cat /tmp/ops/put-* | wc -l)
started=$((puts_started + puts_ok))
ended=$(awk '($1 == "put" || $1 == "get") && $2 != 137' /tmp/ops/all | wc -l)
gets_ok=$(awk '$1 == "get" && $2 == 0' /tmp/ops/all | wc -l)
wrong=$(grep -c '^wrong' /tmp/ops/all || :)
slowest=$(awk '$1 == "put" || $1 == "get" { if ($3 > m) m = $3 } END { print m + 0 }' /tmp/ops/all)
grep '^wrong' /tmp/ops/all | head -5
sum() {
	jq -s "map(.$1) | add // 0" "$2"
}
squat_stored=$(sum stored /tmp/attack-19)
squat_sent=$(sum sent /tmp/attack-19)
# honest_stat NAME: daemon counter NAME summed over the honest nodes.
honest_stat() {
	for _h in $(seq $M); do
		dctl "$_h" stats | awk -v n="$1" '$1 == n { print $2 }'
	done | awk '{ s += $1 } END { print s + 0 }'
}
bad_key=$(honest_stat bad_key)
bad_signature=$(honest_stat bad_signature)
unvalidated=$(honest_stat unvalidated)
log "figures: honest operations started $started, ended $ended (slowest ${slowest}s, deadline ${OP_DEADLINE}s); puts acknowledged $puts_ok of $puts_started; gets of them that returned bytes $gets_ok, other bytes $wrong"
log "figures: squats and forgeries of honest names sent $squat_sent, acknowledged as taken $squat_stored; refused by the honest daemons as bad_key $bad_key, bad_signature $bad_signature"
for a in 17 18 19 20; do
	log "attacker $a, all rounds: $(jq -cs 'reduce .[] as $r ({}; reduce ($r | keys[]) as $k (.; .[$k] += $r[$k]))' "/tmp/attack-$a")"
done
for c in stored conflict partial_evicted partial_expired unvalidated quota_source quota_publisher too_large; do
	echo "$c $(honest_stat $c)"
done | tr '\n' ' ' | sed 's/^/daemon counters over the honest nodes: /'
echo
show_drops 2

rss_max=0
lmdb_max=0
for i in $(seq $M); do
	rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$(cat "/tmp/kdhtd/n$i.pid")/status")
	lmdb=$(du -k "/tmp/kdhtd/n$i" | tail -n 1 | cut -f1)
	[ "$rss" -gt $rss_max ] && rss_max=$rss
	[ "$lmdb" -gt $lmdb_max ] && lmdb_max=$lmdb
done
log "figures: largest honest kdhtd after the flood: VmRSS ${rss_max} KiB, state ${lmdb_max} KiB"

# The attacker's equivocated names: a get ends, with one version or an error.
eq_signer=$(sed -n 's/^kdht-values: signer //p' /tmp/attack-20.err | head -n 1)
eq_t0=$(cut -d. -f1 /proc/uptime)
eq_rc=0
timeout -s KILL $((OP_DEADLINE + 15)) dhtctl -s /run/kdht/n5.sock --timeout $OP_DEADLINE \
	get name-0 --owner "$eq_signer" >/dev/null 2>&1 || eq_rc=$?
log "get of an equivocated name on node 5: exit $eq_rc after $(($(cut -d. -f1 /proc/uptime) - eq_t0))s"

for p in $(cat /tmp/sybil.pids); do
	kill "$p"
	wait "$p" || fail "kdht-sybil exited with $?"
done
for a in 17 18 19 20; do
	log "kdht-sybil $a: $(cat "/tmp/sybil-$a.out")"
done

expect_eq "honest operations ended within their deadline" "$started" "$ended"
# A put may fail, with a clear error, when too few replicas answer in time
# on this crowded host; most must not, and what one acknowledged stays.
expect_ge "puts acknowledged" $((puts_started / 2)) "$puts_ok"
expect_eq "gets of acknowledged puts that returned bytes" "$puts_ok" "$gets_ok"
expect_eq "gets that returned other bytes" 0 "$wrong"
expect_ge "squats and forgeries sent" 1 "$squat_sent"
expect_eq "squats and forgeries taken" 0 "$squat_stored"
# The attackers' STOREs reach the daemons, which answer ERROR UNVALIDATED
# with a token; on this topology the answers do not come back to the
# attackers' namespaces, so no STORE of theirs passes the token gate and
# none is weighed as a squat or a forgery (bad_key, bad_signature: printed,
# not asserted). What is asserted: none was taken, every one turned away.
expect_ge "attacker STOREs the honest daemons turned away (unvalidated)" "$squat_sent" "$unvalidated"
[ $eq_rc -le 1 ] || fail "get of an equivocated name: exit $eq_rc (killed or usage)"
expect_le "largest honest kdhtd VmRSS (KiB)" $RSS_MAX_KB "$rss_max"
expect_le "largest honest state directory (KiB)" $LMDB_MAX_KB "$lmdb_max"
daemons_down
