// SPDX-License-Identifier: MIT
/*
 * kbsend: UDP flood for the cost measurement (kernel/bench/t_cost.sh).
 *
 *   kbsend [-c COUNT | -d SECONDS] [-r RATE] [-k K -n N -H HEX] [-l LEN] ADDR PORT
 *   kbsend -L PORT
 *
 * Sends COUNT datagrams, or for SECONDS (default 5), of LEN octets
 * (default 64) to ADDR PORT, RATE datagrams per second (paced; default as
 * fast as it can). With -H, K of every N datagrams carry the
 * hop-by-hop header HEX (IPV6_HOPOPTS, as in dexsend: next header, length
 * in 8-octet units minus one, options); they go out from a second socket,
 * so they are another flow. Prints "SENT n marked m seconds s start t" at
 * the end (t: CLOCK_MONOTONIC when the first datagram left). With -L, counts
 * the datagrams arriving on PORT until SIGTERM (then reads what is queued)
 * and prints "READY", then "RECEIVED n last t" (t: CLOCK_MONOTONIC of the
 * last one).
 * A send that fails with ENOBUFS or EAGAIN is retried, not counted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int receive(int port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sigaction act = { .sa_handler = on_term };
	unsigned long long n = 0;
	double last = 0;
	char msg[2048];

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("kbsend: bind");
		return 1;
	}
	/* no SA_RESTART: SIGTERM ends a blocked recv() */
	sigaction(SIGTERM, &act, NULL);
	printf("READY\n");
	fflush(stdout);
	for (;;) {
		if (recv(fd, msg, sizeof(msg), stop ? MSG_DONTWAIT : 0) >= 0) {
			n++;
			last = now();
		} else if (stop) {
			break;
		}
	}
	printf("RECEIVED %llu last %.6f\n", n, last);
	return 0;
}

static int unhex(const char *s, unsigned char *out, int max)
{
	int n = 0;

	for (; s[0] && s[1]; s += 2) {
		unsigned int v;

		if (n == max || sscanf(s, "%2x", &v) != 1)
			return -1;
		out[n++] = v;
	}
	return n;
}

int main(int argc, char **argv)
{
	struct sockaddr_in6 dst = { .sin6_family = AF_INET6 };
	unsigned long long sent = 0, marked = 0;
	int k = 0, n = 1, len = 64, opt, hlen = 0, plain, dex;
	unsigned char hbh[256], payload[1500] = { 0 };
	double secs = 5, rate = 0, t0, t1;
	unsigned long long count = 0;

	while ((opt = getopt(argc, argv, "c:d:r:k:n:H:l:L:")) != -1) {
		switch (opt) {
		case 'd': secs = atof(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 'c': count = strtoull(optarg, NULL, 10); break;
		case 'L': return receive(atoi(optarg));
		case 'k': k = atoi(optarg); break;
		case 'n': n = atoi(optarg); break;
		case 'l': len = atoi(optarg); break;
		case 'H':
			hlen = unhex(optarg, hbh, sizeof(hbh));
			if (hlen < 8 || hlen % 8) {
				fprintf(stderr, "kbsend: bad -H\n");
				return 2;
			}
			break;
		default:
			return 2;
		}
	}
	if (optind + 2 != argc || n < 1 || k < 0 || k > n || len < 1 || len > (int)sizeof(payload) ||
	    inet_pton(AF_INET6, argv[optind], &dst.sin6_addr) != 1) {
		fprintf(stderr, "usage: kbsend [-c N | -d S] [-r RATE] [-k K -n N -H HEX] [-l LEN] ADDR PORT\n");
		return 2;
	}
	dst.sin6_port = htons(atoi(argv[optind + 1]));
	plain = socket(AF_INET6, SOCK_DGRAM, 0);
	dex = socket(AF_INET6, SOCK_DGRAM, 0);
	if (plain < 0 || dex < 0 || connect(plain, (struct sockaddr *)&dst, sizeof(dst)) ||
	    connect(dex, (struct sockaddr *)&dst, sizeof(dst))) {
		perror("kbsend: socket");
		return 1;
	}
	if (hlen && setsockopt(dex, IPPROTO_IPV6, IPV6_HOPOPTS, hbh, hlen)) {
		perror("kbsend: IPV6_HOPOPTS");
		return 1;
	}
	if (!hlen)
		k = 0;
	t0 = now();
	t1 = t0;
	for (unsigned long long i = 0;; i++) {
		int m = (i % n) < (unsigned long long)k;

		if (count && sent == count) {
			t1 = now();
			break;
		}
		/* the clock is read every 64 datagrams: cheap, and exact enough */
		if (rate > 0) {
			/* paced: wait until datagram i is due */
			double due = t0 + i / rate;

			t1 = now();
			if (!count && t1 - t0 >= secs)
				break;
			if (due > t1) {
				struct timespec ts = { 0, (long)((due - t1) * 1e9) };

				nanosleep(&ts, NULL);
			}
		} else if (!count && !(i & 63) && (t1 = now()) - t0 >= secs) {
			break;
		}
		if (send(m ? dex : plain, payload, len, 0) < 0) {
			if (errno == ENOBUFS || errno == EAGAIN)
				continue;
			perror("kbsend: send");
			return 1;
		}
		sent++;
		marked += m;
	}
	printf("SENT %llu marked %llu seconds %.3f start %.6f\n", sent, marked, t1 - t0, t0);
	return 0;
}
