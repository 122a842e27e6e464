# group: harness-selftest
# Not in the default suite: proves that a failing scenario is reported as
# failed with its log (run it by name: tests/qemu/run harness-timeout).
log "this scenario fails on purpose"
wait_until 2 false
