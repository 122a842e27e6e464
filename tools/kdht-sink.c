// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * kdht-sink: counts every byte a host receives, as a victim of reflection
 * would. Raw IP sockets bound to one interface (UDP and ICMP, IPv4 and
 * IPv6) get a copy of each incoming packet of their protocol before any
 * port is looked up, so nothing the mesh sends to the host escapes the
 * count: replies to the spoofed port, requests to any port, ICMP. Raw
 * sockets rather than a packet socket, since the debug kernel of the QEMU
 * harness is built without CONFIG_PACKET; the mesh sends nothing but UDP
 * and ICMP. What is sent to a broadcast or multicast address (no
 * reflection aims at one host with it) counts with --any-destination only.
 * UDP datagrams count their payload, the measure of kdht-spoof's and
 * kdht-flood's byte counts; other IP packets count whole. Sources given
 * with --exclude are left out; with --only, all but those are. The
 * kernel's count of packets the sockets had no room for is printed as
 * `dropped`: a count is exact when that is 0. Once every socket is open,
 * "kdht-sink: counting on IFACE" goes to stderr. Runs for --duration, or
 * until SIGINT/SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
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
#define SINK_HEADER_BYTES	128	/* read of a packet, its IPv4 header; MSG_TRUNC: its length */
#define SINK_IPV6_HEADER_BYTES	40	/* not handed to raw IPv6 sockets */
#define SINK_DEFAULT_SECONDS	"10"

struct addr_list {
	struct endpoint a[SINK_MAX_ADDRS];
	unsigned int n;
};

/* One socket per family and protocol; fd -1 where the family is missing. */
static const struct sink_kind {
	int family, protocol;
} sink_kinds[] = {
	{ AF_INET, IPPROTO_UDP }, { AF_INET, IPPROTO_ICMP },
	{ AF_INET6, IPPROTO_UDP }, { AF_INET6, IPPROTO_ICMPV6 },
};
#define SINK_SOCKETS	(sizeof(sink_kinds) / sizeof(sink_kinds[0]))

struct sink {
	struct addr_list exclude, only;
	bool any_destination;	/* broadcast and multicast count too */
	uint64_t packets, udp, udp_bytes, other, other_bytes, excluded;
};

/* What count_packet needs of one received packet, whichever its family. */
struct packet {
	int family;
	const void *src;	/* struct in_addr or struct in6_addr */
	bool to_this_host;	/* not to a broadcast or multicast address */
	uint8_t proto;
	size_t header, total;	/* the IP header's bytes, and the packet's */
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

static void count_packet(struct sink *k, const struct packet *p)
{
	if (!k->any_destination && !p->to_this_host)
		return;
	if (excluded(k, p->family, p->src)) {
		k->excluded++;
		return;
	}
	k->packets++;
	if (p->proto == IPPROTO_UDP && p->total >= p->header + sizeof(struct udphdr)) {
		k->udp++;
		k->udp_bytes += p->total - p->header - sizeof(struct udphdr);
	} else {
		k->other++;
		k->other_bytes += p->total;
	}
}

/* A raw socket of kind on ifname in *fd, -1 there if the kernel lacks the family. */
static int open_raw(const struct sink_kind *kind, const char *ifname, int *fd)
{
	int size = SINK_RCVBUF, on = 1;

	*fd = socket(kind->family, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, kind->protocol);
	if (*fd < 0 && errno == EAFNOSUPPORT)
		return 0;
	if (*fd < 0) {
		perror("kdht-sink: raw socket (needs CAP_NET_RAW)");
		return -1;
	}
	if ((setsockopt(*fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
	     setsockopt(*fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0) ||
	    setsockopt(*fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0 ||
	    (kind->family == AF_INET &&
	     setsockopt(*fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0) ||
	    (kind->family == AF_INET6 &&
	     setsockopt(*fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) < 0)) {
		fprintf(stderr, "kdht-sink: raw socket on '%s': %s\n", ifname, strerror(errno));
		close(*fd);
		*fd = -1;
		return -1;
	}
	return 0;
}

/*
 * Whether the packet was addressed to this host alone. A raw socket is not
 * told the link's packet type; IPv4's packet info is the kernel's own
 * verdict: the local address it names differs from the destination only
 * for a broadcast or multicast. IPv6 has no broadcast.
 */
static bool to_this_host(const struct msghdr *m)
{
	struct cmsghdr *c;
	struct in_pktinfo info;

	for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR((struct msghdr *)m, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			memcpy(&info, CMSG_DATA(c), sizeof(info));
			return info.ipi_spec_dst.s_addr == info.ipi_addr.s_addr;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO)
			return !IN6_IS_ADDR_MULTICAST(&((const struct in6_pktinfo *)
							 CMSG_DATA(c))->ipi6_addr);
	}
	return false;
}

/*
 * An IPv4 raw socket reads the packet from its IP header on; an IPv6 one
 * from the transport header on, the source beside it.
 */
static void read_packet(struct sink *k, const struct sink_kind *kind, const struct msghdr *m,
			size_t len)
{
	const struct sockaddr_in6 *from6 = m->msg_name;
	const uint8_t *head = m->msg_iov->iov_base;
	struct ip ip4;

	if (kind->family == AF_INET6) {
		count_packet(k, &(struct packet){
			.family = AF_INET6, .src = &from6->sin6_addr, .to_this_host = to_this_host(m),
			.proto = (uint8_t)kind->protocol, .header = SINK_IPV6_HEADER_BYTES,
			.total = SINK_IPV6_HEADER_BYTES + len,
		});
		return;
	}
	if (len < sizeof(ip4))
		return;
	memcpy(&ip4, head, sizeof(ip4));
	count_packet(k, &(struct packet){
		.family = AF_INET, .src = &ip4.ip_src, .to_this_host = to_this_host(m),
		.proto = ip4.ip_p, .header = (size_t)ip4.ip_hl * 4, .total = len,
	});
}

/* Counts what is queued on one socket, until it is empty. */
static void drain(struct sink *k, const struct sink_kind *kind, int fd)
{
	uint8_t buf[SINK_HEADER_BYTES];
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			  CMSG_SPACE(sizeof(struct in_pktinfo))];
	} control;
	struct sockaddr_in6 from;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr m;
	ssize_t n;

	for (;;) {
		m = (struct msghdr){
			.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
			.msg_iovlen = 1, .msg_control = control.b,
			.msg_controllen = sizeof(control.b),
		};
		/* MSG_TRUNC: the packet's whole length, though only its head is read. */
		n = recvmsg(fd, &m, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0)
			return;
		read_packet(k, kind, &m, (size_t)n);
	}
}

/* Counts incoming packets until the time is up or a signal comes. */
static void capture(struct sink *k, const int *fds, uint64_t duration_ns)
{
	struct pollfd pfd[SINK_SOCKETS];
	uint64_t start = now_ns();
	unsigned int i;

	for (i = 0; i < SINK_SOCKETS; i++)
		pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	while (!stop && now_ns() - start < duration_ns) {
		if (poll(pfd, SINK_SOCKETS, 100) <= 0)
			continue;
		for (i = 0; i < SINK_SOCKETS; i++)
			if (pfd[i].revents & POLLIN)
				drain(k, &sink_kinds[i], fds[i]);
	}
}

/* Packets the sockets had no room for, since they were opened. */
static int drops_of(const int *fds, uint64_t *drops)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len;
	unsigned int i;

	*drops = 0;
	for (i = 0; i < SINK_SOCKETS; i++) {
		if (fds[i] < 0)
			continue;
		len = sizeof(mem);
		if (getsockopt(fds[i], SOL_SOCKET, SO_MEMINFO, mem, &len) < 0) {
			perror("kdht-sink: SO_MEMINFO");
			return -1;
		}
		*drops += mem[SK_MEMINFO_DROPS];
	}
	return 0;
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

/* Opens every socket on ifname, counts, and prints the counts. */
static int run(struct sink *k, const char *ifname, uint64_t duration_ns, bool json)
{
	int fds[SINK_SOCKETS];
	uint64_t drops = 0;
	unsigned int i;
	int err = 0;

	for (i = 0; i < SINK_SOCKETS; i++)
		fds[i] = -1;
	if (!if_nametoindex(ifname)) {
		fprintf(stderr, "kdht-sink: no interface '%s'\n", ifname);
		return 1;
	}
	for (i = 0; i < SINK_SOCKETS && !err; i++)
		err = open_raw(&sink_kinds[i], ifname, &fds[i]);
	if (!err) {
		fprintf(stderr, "kdht-sink: counting on %s\n", ifname);
		capture(k, fds, duration_ns);
		err = drops_of(fds, &drops);
	}
	for (i = 0; i < SINK_SOCKETS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (err)
		return 1;
	const struct figure fig[] = {
		{ "packets", (double)k->packets, 0 }, { "udp", (double)k->udp, 0 },
		{ "udp_bytes", (double)k->udp_bytes, 0 }, { "other", (double)k->other, 0 },
		{ "other_bytes", (double)k->other_bytes, 0 },
		{ "bytes", (double)(k->udp_bytes + k->other_bytes), 0 },
		{ "excluded", (double)k->excluded, 0 }, { "dropped", (double)drops, 0 },
	};
	figures_print(fig, sizeof(fig) / sizeof(fig[0]), json);
	return 0;
}

int main(int argc, char **argv)
{
	static struct sink k;
	uint64_t duration_ns;
	bool json = false;
	int argi;
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
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	return run(&k, argv[argi], duration_ns, json);
}
