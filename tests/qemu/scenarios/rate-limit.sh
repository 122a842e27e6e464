# suite: default
# group: kernel
# deep: no (the receive path of kernel-answers and junk-storm; the limiter is the core's, unit-tested)
# A flood from one source is capped at the configured rate, while another
# source is still served.
RATE=50
BURST=50
SECONDS_=4

mesh 3
node_up 1
on 1 dhtctl -k node set --rate "$RATE" --burst "$BURST" || fail "dhtctl -k node set --rate failed"

on 2 kdht-flood --type ping --rate 2000 --duration "$SECONDS_" --json "$(addr4 1):$KDHT_PORT" >/tmp/flood &
# The other source probes once the flood is being limited.
wait_until 30 stat_at_least 1 drop_rate_limited 1
out=$(on 3 kdht-flood --type ping --rate 10 --duration 1 --linger "$(scaled 5)" --json \
	"$(addr4 1):$KDHT_PORT")
wait
flood=$(cat /tmp/flood)
log "flooder: $flood"
log "other source: $out"
expect_all_answered "PINGs of another source during the flood" "$out" pong
sent=$(echo "$flood" | jq .sent)
expect_ge "PINGs the flooder sent" $((RATE * SECONDS_ * 4)) "$sent"
# The bucket starts full (BURST) and refills at RATE; allow one second of slack.
expect_le "PONGs to the flooder" $((BURST + RATE * (SECONDS_ + 1))) "$(echo "$flood" | jq .pong)"
expect_ge "PONGs to the flooder" $((RATE * SECONDS_ / 2)) "$(echo "$flood" | jq .pong)"
expect_ge "node 1 drop_rate_limited" $((sent - BURST - RATE * (SECONDS_ + 1))) "$(stat_of 1 drop_rate_limited)"
