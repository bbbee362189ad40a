/*
 * bench_mqtt.h - the least of an MQTT 3.1.1 client (QoS 0 only) over a
 * blocking loopback socket, so the benchmarks can time mosquitto relaying
 * the same bytes wardd carries. One bench_mqtt per thread.
 *
 *     bench_mqtt m;
 *     bench_mqtt_connect(&m, port, "gw-0");
 *     bench_mqtt_subscribe(&m, "gwb/0/down");
 *     bench_mqtt_publish(&m, "gwb/0/up", msg, len);
 *     bench_mqtt_recv(&m, buf, sizeof buf, &n);   // the next PUBLISH's payload
 *     bench_mqtt_close(&m);
 * Each answers 0, or -1 on a transport or protocol failure (or 5 s
 * without a packet).
 */
#ifndef WARD_BENCH_MQTT_H
#define WARD_BENCH_MQTT_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_MQTT_BUF 2048

typedef struct bench_mqtt {
    int fd;
    uint16_t next_id;
    uint8_t buf[BENCH_MQTT_BUF];
} bench_mqtt;

int bench_mqtt_connect(bench_mqtt *m, unsigned port, const char *client_id);
int bench_mqtt_subscribe(bench_mqtt *m, const char *topic);
int bench_mqtt_publish(bench_mqtt *m, const char *topic, const uint8_t *data, size_t len);
/* The payload of the next PUBLISH (other packets are skipped). */
int bench_mqtt_recv(bench_mqtt *m, uint8_t *data, size_t cap, size_t *len);
void bench_mqtt_close(bench_mqtt *m);

#endif /* WARD_BENCH_MQTT_H */
