/* Flow E: bytes over the link and CPU on each side per power-up check of
 * a secure element by its host, per f() and per crypto backend. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ward/ward_port_mbedtls.h"
#include "ward/ward_port_openssl.h"
#include "ward/ward_port_posix.h"
#include "ward/ward_port_sim.h"
#include "ward/ward_se.h"

#define FLASH 1024
#define ROUNDS_SYM 500
#define ROUNDS_ASYM 100

typedef struct cfg {
    uint8_t variant, f;
    const char *name;
} cfg;

static const cfg cfgs[] = {
    { WARD_SE_VARIANT_SYM, WARD_SE_F_HMAC_SHA256, "HMAC-SHA256" },
    { WARD_SE_VARIANT_SYM, WARD_SE_F_AES_CMAC, "AES-128-CMAC" },
    { WARD_SE_VARIANT_SYM, WARD_SE_F_HMAC_SM3, "HMAC-SM3" },
    { WARD_SE_VARIANT_SYM, WARD_SE_F_SM4_CMAC, "SM4-CMAC" },
    { WARD_SE_VARIANT_ASYM, 0, "P-256 (asym)" },
};

static double cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static ward_err fixed_now(void *ctx, uint64_t *ms)
{
    (void)ctx;
    *ms = 1700000000000ull;
    return WARD_OK;
}

typedef struct totals {
    double se_us, host_us;
    size_t to_se, to_host, cmd_bytes;
} totals;

/* Host frame -> SE -> host, timing each side. */
static int hop(ward_se_elem *se, ward_se_host *h, const uint8_t *fr, size_t n,
               uint8_t *next, size_t *m, totals *t, ward_se_event *hev)
{
    uint8_t reply[WARD_SE_FRAME_MAX];
    size_t rlen = 0;
    ward_se_event sev;
    double a = cpu_us();
    ward_err err = ward_se_elem_input(se, fr, n, &sev, reply, sizeof reply, &rlen);
    if (err == WARD_OK && sev.kind == WARD_SE_EV_COMMAND) {
        err = ward_se_elem_reply(se, sev.data, sev.len, reply, sizeof reply, &rlen);
    }
    double b = cpu_us();
    if (err == WARD_OK) {
        err = ward_se_host_input(h, reply, rlen, hev, next, WARD_SE_FRAME_MAX, m);
    }
    double c = cpu_us();
    t->se_us += b - a;
    t->host_us += c - b;
    t->to_se += n;
    t->to_host += rlen;
    return err == WARD_OK ? 0 : -1;
}

static int run(const ward_crypto *cp, const cfg *c, totals *out, int *rounds)
{
    static uint8_t se_mem[FLASH], host_mem[FLASH];
    ward_sim_flash sf_se, sf_host;
    ward_store_port p_se, p_host;
    ward_random rng = ward_random_posix();
    ward_clock clk = { fixed_now, NULL, false };
    uint8_t fr[WARD_SE_FRAME_MAX], next[WARD_SE_FRAME_MAX];
    size_t n = 0, m = 0;
    ward_se_elem se;
    ward_se_host h;
    ward_se_event ev;
    totals scratch;

    ward_sim_flash_init(&sf_se, se_mem, FLASH, 64, &p_se);
    ward_sim_flash_format(&sf_se);
    ward_sim_flash_init(&sf_host, host_mem, FLASH, 64, &p_host);
    ward_sim_flash_format(&sf_host);
    if (ward_se_elem_open(&se, cp, &rng, &clk, &p_se) != WARD_OK ||
        ward_se_host_open(&h, cp, &rng, &p_host) != WARD_OK ||
        ward_se_host_bind(&h, WARD_SE_R1_BY_SE, c->variant, c->f, fr, sizeof fr, &n) !=
            WARD_OK ||
        hop(&se, &h, fr, n, next, &m, &scratch, &ev) != 0 ||
        ward_se_host_lock(&h, fr, sizeof fr, &n) != WARD_OK ||
        hop(&se, &h, fr, n, next, &m, &scratch, &ev) != 0) {
        return -1;
    }
    ward_se_elem_close(&se);
    ward_se_host_close(&h);

    *rounds = c->variant == WARD_SE_VARIANT_ASYM ? ROUNDS_ASYM : ROUNDS_SYM;
    memset(out, 0, sizeof *out);
    for (int i = 0; i < *rounds; i++) {
        /* A power-up of both: open, HELLO, CHALLENGE, ANSWER, VERIFIED. */
        double a = cpu_us();
        ward_sim_flash_init(&sf_se, se_mem, FLASH, 64, &p_se);
        ward_err err = ward_se_elem_open(&se, cp, &rng, &clk, &p_se);
        double b = cpu_us();
        ward_sim_flash_init(&sf_host, host_mem, FLASH, 64, &p_host);
        if (err == WARD_OK) {
            err = ward_se_host_open(&h, cp, &rng, &p_host);
        }
        if (err == WARD_OK) {
            err = ward_se_host_hello(&h, fr, sizeof fr, &n);
        }
        double c2 = cpu_us();
        out->se_us += b - a;
        out->host_us += c2 - b;
        if (err != WARD_OK || hop(&se, &h, fr, n, next, &m, out, &ev) != 0 ||
            hop(&se, &h, next, m, fr, &n, out, &ev) != 0 ||
            ev.kind != WARD_SE_EV_VERIFIED) {
            return -1;
        }
        /* One 8-byte command and its answer, counted apart. */
        memset(&scratch, 0, sizeof scratch);
        if (ward_se_host_command(&h, (const uint8_t *)"get time", 8, fr, sizeof fr, &n) !=
                WARD_OK ||
            hop(&se, &h, fr, n, next, &m, &scratch, &ev) != 0) {
            return -1;
        }
        out->cmd_bytes = scratch.to_se + scratch.to_host;
        ward_se_elem_close(&se);
        ward_se_host_close(&h);
    }
    return 0;
}

int main(void)
{
    const ward_crypto *backends[] = { ward_crypto_mbedtls(), ward_crypto_openssl() };
    printf("flow E: one power-up check (open, HELLO, CHALLENGE, ANSWER, VERIFIED),\n"
           "per f() and backend; SE store on simulated flash in RAM\n\n");
    printf("%-16s %-13s %9s %9s %10s %10s %9s\n", "backend", "f", "host->SE", "SE->host",
           "SE cpu us", "host cpu us", "cmd+resp");
    for (size_t b = 0; b < 2; b++) {
        for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++) {
            totals t;
            int rounds = 0;
            const ward_crypto *cp = backends[b];
            if ((cfgs[i].f == WARD_SE_F_HMAC_SM3 && cp->hmac_sm3 == NULL) ||
                (cfgs[i].f == WARD_SE_F_SM4_CMAC && cp->sm4_cmac == NULL)) {
                printf("%-16s %-13s %9s\n", cp->name, cfgs[i].name, "(not in this backend)");
                continue;
            }
            if (run(cp, &cfgs[i], &t, &rounds) != 0) {
                printf("%-16s %-13s FAILED\n", cp->name, cfgs[i].name);
                return 1;
            }
            printf("%-16s %-13s %8zuB %8zuB %10.1f %10.1f %8zuB\n", cp->name, cfgs[i].name,
                   t.to_se / (size_t)rounds, t.to_host / (size_t)rounds,
                   t.se_us / rounds, t.host_us / rounds, t.cmd_bytes);
        }
    }
    return 0;
}
