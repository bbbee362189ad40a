/* A minimal MQTT 3.1.1 QoS 0 client for the benchmarks (see bench_mqtt.h). */
#include "bench_mqtt.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define PKT_CONNECT 0x10u
#define PKT_CONNACK 0x20u
#define PKT_PUBLISH 0x30u
#define PKT_SUBSCRIBE 0x82u  /* its flags must be 0010 */
#define PKT_SUBACK 0x90u

static int send_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) {
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int recv_all(int fd, uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);
        if (r <= 0) {
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Fixed header (type, remaining length as MQTT's base-128 varint) then body. */
static int send_packet(bench_mqtt *m, uint8_t type, const uint8_t *body, size_t len)
{
    uint8_t hdr[5];
    size_t h = 0, rest = len;
    if (len > BENCH_MQTT_BUF) {
        return -1;
    }
    hdr[h++] = type;
    do {
        uint8_t b = (uint8_t)(rest % 128);
        rest /= 128;
        hdr[h++] = (uint8_t)(b | (rest > 0 ? 0x80u : 0));
    } while (rest > 0);
    /* One write per packet: with TCP_NODELAY two would cost two segments. */
    uint8_t pkt[5 + BENCH_MQTT_BUF];
    memcpy(pkt, hdr, h);
    memcpy(pkt + h, body, len);
    return send_all(m->fd, pkt, h + len);
}

/* The next packet into m->buf: its type byte and body length. */
static int recv_packet(bench_mqtt *m, uint8_t *type, size_t *len)
{
    uint8_t b = 0;
    size_t n = 0, mult = 1;
    if (recv_all(m->fd, type, 1) != 0) {
        return -1;
    }
    for (int i = 0; i < 4; i++) {
        if (recv_all(m->fd, &b, 1) != 0) {
            return -1;
        }
        n += (size_t)(b & 0x7fu) * mult;
        mult *= 128;
        if ((b & 0x80u) == 0) {
            break;
        }
    }
    if ((b & 0x80u) != 0 || n > BENCH_MQTT_BUF) {
        return -1;
    }
    *len = n;
    return recv_all(m->fd, m->buf, n);
}

static size_t put_str(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    p[0] = (uint8_t)(n >> 8);
    p[1] = (uint8_t)n;
    memcpy(p + 2, s, n);
    return n + 2;
}

int bench_mqtt_connect(bench_mqtt *m, unsigned port, const char *client_id)
{
    memset(m, 0, sizeof *m);
    m->next_id = 1;
    m->fd = -1;
    if (strlen(client_id) > 64) {
        return -1;
    }
    m->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (m->fd < 0) {
        return -1;
    }
    int one = 1;
    struct timeval tv = { 5, 0 };
    setsockopt(m->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(m->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(m->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        bench_mqtt_close(m);
        return -1;
    }
    uint8_t body[128];
    size_t n = put_str(body, "MQTT");
    body[n++] = 4;       /* protocol level: 3.1.1 */
    body[n++] = 0x02;    /* clean session */
    body[n++] = 0;
    body[n++] = 60;      /* keep-alive, s */
    n += put_str(body + n, client_id);
    uint8_t type = 0;
    size_t len = 0;
    if (send_packet(m, PKT_CONNECT, body, n) != 0 || recv_packet(m, &type, &len) != 0 ||
        type != PKT_CONNACK || len != 2 || m->buf[1] != 0) {
        bench_mqtt_close(m);
        return -1;
    }
    return 0;
}

int bench_mqtt_subscribe(bench_mqtt *m, const char *topic)
{
    uint8_t body[300], type = 0;
    size_t n = 0, len = 0;
    if (strlen(topic) > 256) {
        return -1;
    }
    uint16_t id = m->next_id++;
    body[n++] = (uint8_t)(id >> 8);
    body[n++] = (uint8_t)id;
    n += put_str(body + n, topic);
    body[n++] = 0;       /* QoS 0 */
    if (send_packet(m, PKT_SUBSCRIBE, body, n) != 0 || recv_packet(m, &type, &len) != 0 ||
        type != PKT_SUBACK || len != 3 || m->buf[2] != 0) {
        return -1;
    }
    return 0;
}

int bench_mqtt_publish(bench_mqtt *m, const char *topic, const uint8_t *data, size_t len)
{
    uint8_t body[BENCH_MQTT_BUF];
    size_t tl = strlen(topic);
    if (tl > 256 || tl + 2 + len > sizeof body) {
        return -1;
    }
    size_t n = put_str(body, topic);
    memcpy(body + n, data, len);
    return send_packet(m, PKT_PUBLISH, body, n + len);
}

int bench_mqtt_recv(bench_mqtt *m, uint8_t *data, size_t cap, size_t *len)
{
    for (int skipped = 0; skipped < 16; skipped++) {
        uint8_t type = 0;
        size_t n = 0;
        if (recv_packet(m, &type, &n) != 0) {
            return -1;
        }
        if ((type & 0xf0u) != PKT_PUBLISH) {
            continue;
        }
        /* QoS 0: topic, then the payload (no packet id). */
        if ((type & 0x06u) != 0 || n < 2) {
            return -1;
        }
        size_t tl = ((size_t)m->buf[0] << 8) | m->buf[1];
        if (tl + 2 > n || n - tl - 2 > cap) {
            return -1;
        }
        *len = n - tl - 2;
        memcpy(data, m->buf + tl + 2, *len);
        return 0;
    }
    return -1;
}

void bench_mqtt_close(bench_mqtt *m)
{
    if (m->fd >= 0) {
        close(m->fd);
    }
    m->fd = -1;
}
