/* `ward factory keygen`: the manufacturer's key pair that vouches for
 * every lock it makes (the activation signature wardd checks). */
#include "cli.h"
#include "keystore.h"
#include "ward/ward.h"

static const cli_keygen_kind factory_key = {
    "factory keygen", "factory.key", "factory.pub", WARD_KEY_FACTORY, "manufacturer key",
    "wardd --factory-pub",
};

int cmd_factory_keygen(int argc, char **argv)
{
    return cli_keygen(argc, argv, &factory_key);
}
