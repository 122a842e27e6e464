// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * kdht-sink: counts every byte a host receives, as a victim of reflection
 * would: a packet socket on one interface sees each incoming frame before
 * any socket, port or firewall decides about it, so nothing the mesh sends
 * to the host escapes the count (replies to the spoofed port, requests to
 * any port, ICMP); what is sent to a broadcast or multicast address (no
 * reflection aims at one host with it) with --any-destination only. UDP datagrams count their payload, the measure of
 * kdht-spoof's and kdht-flood's byte counts; other IP packets count whole.
 * Sources given with --exclude are left out; with --only, all but those
 * are. The kernel's count of frames
 * the socket had no room for is printed as `dropped`: a count is exact when
 * that is 0. Runs for --duration, or until SIGINT/SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "opts.h"

#define SINK_MAX_ADDRS		16	/* --exclude, --only */
#define SINK_RCVBUF		(8 << 20)
#define SINK_SNAPLEN		65536
#define SINK_DEFAULT_SECONDS	"10"

struct addr_list {
	struct endpoint a[SINK_MAX_ADDRS];
	unsigned int n;
};

struct sink {
	struct addr_list exclude, only;
	bool any_destination;	/* broadcast and multicast count too */
	uint64_t packets, udp, udp_bytes, other, other_bytes, excluded;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static bool in_list(const struct addr_list *l, int family, const void *addr)
{
	unsigned int i;

	for (i = 0; i < l->n; i++) {
		const struct sockaddr_storage *ss = &l->a[i].ss;

		if (ss->ss_family != family)
			continue;
		if (family == AF_INET &&
		    !memcmp(&((const struct sockaddr_in *)ss)->sin_addr, addr, 4))
			return true;
		if (family == AF_INET6 &&
		    !memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr, addr, 16))
			return true;
	}
	return false;
}

static bool excluded(const struct sink *k, int family, const void *addr)
{
	return in_list(&k->exclude, family, addr) ||
	       (k->only.n && !in_list(&k->only, family, addr));
}

/* One IP packet as the link delivered it (len bytes of it captured). */
static void count_packet(struct sink *k, const uint8_t *p, size_t len)
{
	const struct ip *ip4 = (const struct ip *)p;
	const struct ip6_hdr *ip6 = (const struct ip6_hdr *)p;
	size_t hlen, total;
	uint8_t proto;

	if (len >= sizeof(*ip4) && ip4->ip_v == 4) {
		if (excluded(k, AF_INET, &ip4->ip_src))
			goto excl;
		hlen = (size_t)ip4->ip_hl * 4;
		total = ntohs(ip4->ip_len);
		proto = ip4->ip_p;
	} else if (len >= sizeof(*ip6) && (p[0] >> 4) == 6) {
		if (excluded(k, AF_INET6, &ip6->ip6_src))
			goto excl;
		hlen = sizeof(*ip6);
		total = hlen + ntohs(ip6->ip6_plen);
		proto = ip6->ip6_nxt;
	} else {
		return;
	}
	k->packets++;
	if (proto == IPPROTO_UDP && total >= hlen + sizeof(struct udphdr)) {
		k->udp++;
		k->udp_bytes += total - hlen - sizeof(struct udphdr);
	} else {
		k->other++;
		k->other_bytes += total;
	}
	return;
excl:
	k->excluded++;
}

static int open_capture(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int fd, size = SINK_RCVBUF;

	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "kdht-sink: no interface '%s'\n", ifname);
		return -1;
	}
	/* Cooked: the IP packet without its link header. */
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0) {
		perror("kdht-sink: packet socket (needs CAP_NET_RAW)");
		return -1;
	}
	if ((setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
	     setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("kdht-sink: packet socket setup");
		close(fd);
		return -1;
	}
	return fd;
}

/* Counts incoming frames until the time is up or a signal comes. */
static void capture(struct sink *k, int fd, uint64_t duration_ns)
{
	static uint8_t buf[SINK_SNAPLEN];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t start = now_ns();
	struct sockaddr_ll from;
	socklen_t flen;
	ssize_t n;

	while (!stop && now_ns() - start < duration_ns) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		for (;;) {
			flen = sizeof(from);
			n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &flen);
			if (n < 0)
				break;
			/*
			 * Addressed to this host: not what it sends itself, nor
			 * (unless asked) a LAN's broadcast and multicast chatter
			 * such as IPv6 neighbour discovery.
			 */
			if (from.sll_pkttype == PACKET_HOST ||
			    (k->any_destination && (from.sll_pkttype == PACKET_BROADCAST ||
						    from.sll_pkttype == PACKET_MULTICAST)))
				count_packet(k, buf, (size_t)n);
		}
	}
}

static int add_addr(const char *arg, void *dest)
{
	struct addr_list *l = dest;

	if (l->n == SINK_MAX_ADDRS) {
		fprintf(stderr, "kdht-sink: at most %d addresses per option\n", SINK_MAX_ADDRS);
		return -EINVAL;
	}
	if (address_parse(arg, &l->a[l->n])) {
		fprintf(stderr, "kdht-sink: not an address: '%s'\n", arg);
		return -EINVAL;
	}
	l->n++;
	return 0;
}

int main(int argc, char **argv)
{
	static struct sink k;
	struct tpacket_stats st = { 0 };
	socklen_t stlen = sizeof(st);
	uint64_t duration_ns;
	bool json = false;
	int argi, fd;
	const struct tool_opt opts[] = {
		{ OPT("duration", 'd', OPT_SECONDS, &duration_ns, "S",
		      "seconds of counting (default " SINK_DEFAULT_SECONDS ")") },
		{ OPT("exclude", 'x', OPT_CUSTOM, &k.exclude, "ADDR",
		      "leave out packets from ADDR; repeat for several"), .parse = add_addr },
		{ OPT("only", 'o', OPT_CUSTOM, &k.only, "ADDR",
		      "count packets from ADDR only; repeat for several"), .parse = add_addr },
		{ OPT("any-destination", 'a', OPT_FLAG, &k.any_destination, NULL,
		      "count broadcast and multicast packets too") },
		OPT_JSON_ENTRY(&json),
		OPTS_END,
	};
	const struct tool t = { "kdht-sink", "[options] IFACE", NULL, opts, 1 };

	if (seconds_parse(SINK_DEFAULT_SECONDS, "--duration", &duration_ns))
		return 2;
	argi = opts_parse(&t, argc, argv);
	if (argi < 0)
		return opts_exit_status(argi);
	fd = open_capture(argv[argi]);
	if (fd < 0)
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	capture(&k, fd, duration_ns);
	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &stlen) < 0) {
		perror("kdht-sink: PACKET_STATISTICS");
		close(fd);
		return 1;
	}
	close(fd);
	const struct figure fig[] = {
		{ "packets", (double)k.packets, 0 }, { "udp", (double)k.udp, 0 },
		{ "udp_bytes", (double)k.udp_bytes, 0 }, { "other", (double)k.other, 0 },
		{ "other_bytes", (double)k.other_bytes, 0 },
		{ "bytes", (double)(k.udp_bytes + k.other_bytes), 0 },
		{ "excluded", (double)k.excluded, 0 }, { "dropped", (double)st.tp_drops, 0 },
	};
	figures_print(fig, sizeof(fig) / sizeof(fig[0]), json);
	return 0;
}
