// SPDX-License-Identifier: MIT
/*
 * dexsend: send UDP datagrams over IPv6, optionally with a hop-by-hop
 * header given in hex (IPV6_HOPOPTS), for the in-guest tests.
 *
 *   dexsend [-c COUNT] [-f FLOWS] [-i USEC] [-H HEX] [-s SPORT] ADDR PORT
 *   dexsend -l PORT [-t MS]
 *
 * FLOWS sockets (distinct source ports, so distinct flows) send COUNT
 * datagrams each, round robin; with -s, flow f sends from port SPORT + f
 * (the same flows again in another run). HEX is the whole hop-by-hop header: next
 * header (overwritten by the kernel), length in 8-octet units minus one,
 * then the options. With -l, count the datagrams received on PORT until
 * nothing arrives for MS milliseconds (default 1500): "RECEIVED N".
 */
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int unhex(const char *s, unsigned char *out, int max)
{
	int n = 0;

	while (s[0] && s[1]) {
		unsigned int v;

		if (s[0] == ' ' || s[0] == ':') {
			s++;
			continue;
		}
		if (n == max || sscanf(s, "%2x", &v) != 1)
			return -1;
		out[n++] = v;
		s += 2;
	}
	return n;
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* count datagrams until TIMEOUT ms idle, or SIGTERM once the queue is read */
static int receive(int port, int timeout)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	int fd = socket(AF_INET6, SOCK_DGRAM, 0), n = 0;
	char msg[2048];

	int rcvbuf = 8 << 20;

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("bind");
		return 1;
	}
	/* room for a burst from two CPUs while this one waits for a CPU
	 * (TCG on a busy host): a full buffer is not what the tests count
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	signal(SIGTERM, on_term);
	printf("READY\n");
	fflush(stdout);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (!stop && poll(&p, 1, timeout) <= 0 && !stop)
			break;
		if (recv(fd, msg, sizeof(msg), stop ? MSG_DONTWAIT : 0) >= 0)
			n++;
		else if (stop)
			break;
	}
	printf("RECEIVED %d\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	int count = 1, flows = 1, usec = 0, hlen = 0, opt, listen_port = 0, timeout = 1500, sport = 0;
	unsigned char hbh[2048];
	struct sockaddr_in6 dst = { .sin6_family = AF_INET6 };
	int fds[512];

	while ((opt = getopt(argc, argv, "c:f:i:H:l:s:t:")) != -1) {
		switch (opt) {
		case 'l': listen_port = atoi(optarg); break;
		case 't': timeout = atoi(optarg); break;
		case 'c': count = atoi(optarg); break;
		case 'f': flows = atoi(optarg); break;
		case 's': sport = atoi(optarg); break;
		case 'i': usec = atoi(optarg); break;
		case 'H':
			hlen = unhex(optarg, hbh, sizeof(hbh));
			if (hlen < 0) {
				fprintf(stderr, "dexsend: bad hex\n");
				return 2;
			}
			break;
		default: return 2;
		}
	}
	if (listen_port)
		return receive(listen_port, timeout);
	if (argc - optind != 2 || flows < 1 || flows > 512 ||
	    inet_pton(AF_INET6, argv[optind], &dst.sin6_addr) != 1) {
		fprintf(stderr, "usage: dexsend [-c COUNT] [-f FLOWS] [-i USEC] [-H HEX] [-s SPORT] ADDR PORT\n");
		return 2;
	}
	dst.sin6_port = htons(atoi(argv[optind + 1]));
	for (int f = 0; f < flows; f++) {
		struct sockaddr_in6 src = { .sin6_family = AF_INET6, .sin6_port = htons(sport + f) };

		fds[f] = socket(AF_INET6, SOCK_DGRAM, 0);
		if (sport && bind(fds[f], (struct sockaddr *)&src, sizeof(src)) < 0) {
			perror("bind");
			return 1;
		}
		if (fds[f] < 0 || connect(fds[f], (struct sockaddr *)&dst, sizeof(dst)) < 0) {
			perror("socket/connect");
			return 1;
		}
		if (hlen && setsockopt(fds[f], IPPROTO_IPV6, IPV6_HOPOPTS, hbh, hlen) < 0) {
			perror("IPV6_HOPOPTS");
			return 1;
		}
	}
	for (int i = 0; i < count; i++) {
		for (int f = 0; f < flows; f++) {
			char msg[32];
			int n = snprintf(msg, sizeof(msg), "flow %d pkt %d", f, i);

			if (send(fds[f], msg, n, 0) < 0)
				perror("send");
		}
		if (usec)
			usleep(usec);
	}
	return 0;
}
