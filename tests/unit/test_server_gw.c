/* wardd's flow C store entries through the vtable: claims taken once, by
 * their owner, while live; a gateway's row written new or rotated only
 * from the generation read; login counters recorded only upward. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward_test.h"
#include "store.h"
#include "store_fixture.h"

static wardd_store st;

static int setup(void **state)
{
    (void)state;
    sf_make_dir("gwstore");
    assert_int_equal(wardd_store_sqlite_open(sf_path, &st), WARD_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    st.close(st.h);
    sf_remove_dir();
    return 0;
}

static void test_claim_once_by_owner_while_live(void **state)
{
    (void)state;
    uint8_t h1[WARD_SHA256_LEN], h2[WARD_SHA256_LEN];
    memset(h1, 1, sizeof h1);
    memset(h2, 2, sizeof h2);
    assert_int_equal(st.gw_claim_put(st.h, h1, "alice", 5000), WARD_OK);
    assert_int_equal(st.gw_claim_put(st.h, h2, "alice", 5000), WARD_OK);
    assert_int_equal(st.gw_claim_take(st.h, h1, "bob", 1000), WARD_ERR_AUTH);
    assert_int_equal(st.gw_claim_take(st.h, h1, "alice", 5000), WARD_ERR_AUTH);   /* expired */
    assert_int_equal(st.gw_claim_take(st.h, h1, "alice", 4999), WARD_OK);
    assert_int_equal(st.gw_claim_take(st.h, h1, "alice", 4999), WARD_ERR_AUTH);   /* used */
    uint8_t h3[WARD_SHA256_LEN];
    memset(h3, 3, sizeof h3);
    assert_int_equal(st.gw_claim_take(st.h, h3, "alice", 1), WARD_ERR_AUTH);      /* unknown */
    assert_int_equal(st.gw_claim_take(st.h, h2, "alice", 1), WARD_OK);
    /* Lapsed claims go with the purge; live ones stay. */
    assert_int_equal(st.gw_claim_put(st.h, h3, "alice", 9000), WARD_OK);
    assert_int_equal(st.purge(st.h, 6000, 0), WARD_OK);
    assert_int_equal(sf_int("SELECT count(*) FROM gw_claims"), 1);
}

static void make_gw(wardd_gw *g, uint8_t id, const char *uid)
{
    memset(g, 0, sizeof *g);
    memset(g->tid, id, sizeof g->tid);
    memset(g->uuid, id + 1, sizeof g->uuid);
    memset(g->mac, id + 2, sizeof g->mac);
    memset(g->pub, id + 3, sizeof g->pub);
    snprintf(g->uid, sizeof g->uid, "%s", uid);
    g->generation = 1;
    g->expires_ms = 9000;
    memset(g->verifier, id + 4, sizeof g->verifier);
    memset(g->wrapped, id + 5, sizeof g->wrapped);
    g->created_ms = 100 + id;
}

static int collect(void *ctx, const wardd_gw *g)
{
    int *n = ctx;
    (*n)++;
    (void)g;
    return 0;
}

static void test_put_rotate_and_login(void **state)
{
    (void)state;
    wardd_gw g, got, other;
    make_gw(&g, 0x10, "alice");
    assert_int_equal(st.gw_put(st.h, &g, 0), WARD_OK);
    assert_int_equal(st.gw_put(st.h, &g, 0), WARD_ERR_STATE);          /* exists */
    make_gw(&other, 0x20, "bob");
    memcpy(other.uuid, g.uuid, sizeof other.uuid);
    assert_int_equal(st.gw_put(st.h, &other, 0), WARD_ERR_STATE);      /* same uuid */
    assert_int_equal(st.gw_by_uuid(st.h, g.uuid, &got), WARD_OK);
    assert_memory_equal(&got, &g, sizeof g);
    assert_int_equal(st.gw_get(st.h, other.tid, &got), WARD_ERR_NOTFOUND);

    /* Login counters go up only, for the current generation. */
    assert_int_equal(st.gw_login(st.h, g.tid, 1, 5), WARD_OK);
    assert_int_equal(st.gw_login(st.h, g.tid, 1, 5), WARD_ERR_AUTH);
    assert_int_equal(st.gw_login(st.h, g.tid, 1, 4), WARD_ERR_AUTH);
    assert_int_equal(st.gw_login(st.h, g.tid, 2, 6), WARD_ERR_AUTH);
    assert_int_equal(st.gw_login(st.h, g.tid, 1, UINT64_MAX), WARD_ERR_AUTH);

    /* A rotation from the generation read; a stale one, another owner's
     * or another key's is refused. */
    g.generation = 2;
    g.last_counter = 0;
    memset(g.verifier, 0x77, sizeof g.verifier);
    wardd_gw bad = g;
    snprintf(bad.uid, sizeof bad.uid, "bob");
    assert_int_equal(st.gw_put(st.h, &bad, 1), WARD_ERR_STATE);
    bad = g;
    bad.pub[5] ^= 1;
    assert_int_equal(st.gw_put(st.h, &bad, 1), WARD_ERR_STATE);
    assert_int_equal(st.gw_put(st.h, &g, 1), WARD_OK);
    assert_int_equal(st.gw_put(st.h, &g, 1), WARD_ERR_STATE);
    assert_int_equal(st.gw_get(st.h, g.tid, &got), WARD_OK);
    assert_int_equal(got.generation, 2);
    assert_true(got.last_counter == 0);
    assert_int_equal(got.verifier[0], 0x77);
    assert_int_equal(st.gw_login(st.h, g.tid, 1, 9), WARD_ERR_AUTH);   /* old generation */
    assert_int_equal(st.gw_login(st.h, g.tid, 2, 1), WARD_OK);

    int n = 0;
    assert_int_equal(st.gw_list(st.h, "alice", collect, &n), WARD_OK);
    assert_int_equal(n, 1);
    n = 0;
    assert_int_equal(st.gw_list(st.h, "bob", collect, &n), WARD_OK);
    assert_int_equal(n, 0);

    /* A reset drops the row: registration and owner; the uuid is free. */
    assert_int_equal(st.gw_drop(st.h, g.tid), WARD_OK);
    assert_int_equal(st.gw_drop(st.h, g.tid), WARD_ERR_NOTFOUND);
    assert_int_equal(st.gw_get(st.h, g.tid, &got), WARD_ERR_NOTFOUND);
    assert_int_equal(st.gw_login(st.h, g.tid, 2, 2), WARD_ERR_AUTH);
    n = 0;
    assert_int_equal(st.gw_list(st.h, "alice", collect, &n), WARD_OK);
    assert_int_equal(n, 0);
    assert_int_equal(st.gw_put(st.h, &other, 0), WARD_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_claim_once_by_owner_while_live, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_rotate_and_login, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
