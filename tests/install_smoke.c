/* Built against an installed ward (headers, libraries, ward.pc) by
 * check_install.sh: proves the installation is usable on its own. */
#include <stdio.h>

#include <ward/ward.h>
#include <ward/ward_port_openssl.h>
#include <ward/ward_port_posix.h>

int main(void)
{
    uint8_t priv[WARD_P256_SCALAR_LEN], pub[WARD_P256_POINT_LEN];
    ward_random rng = ward_random_posix();
    ward_err err = ward_p256_keygen(ward_crypto_openssl(), &rng, priv, pub);
    printf("installed ward %s: keygen %s\n", WARD_VERSION_STRING, ward_strerror(err));
    return err == WARD_OK ? 0 : 1;
}
