/* The groups of `ward`'s commands, in the order `ward help` lists them. */
#include <stddef.h>
#include <string.h>

#include "doc.h"

const cli_doc_group cli_doc_groups[] = {
    { "", "", cli_docs_top },
    { "factory", "the manufacturer: the key that vouches for locks and devices",
      cli_docs_factory },
    { "fw", "firmware releases: the release key, signed manifests, serving, publishing",
      cli_docs_fw },
    { "lock", "a smart lock: identity, binding apps, remote requests, the running lock",
      cli_docs_lock },
    { "app", "the phone app: account, binding, answering requests, IoT devices",
      cli_docs_app },
    { "se", "a secure element and its host on a local bus", cli_docs_se },
    { "device", "an IoT device: identity and the running device", cli_docs_device },
    { "gateway", "a gateway: identity, QR code and the LAN hand-over", cli_docs_gateway },
    { "subdevice", "a sub-device behind a gateway (flow C)", cli_docs_subdevice },
    { "peer", "offline peer authentication: two devices, certificates, no server",
      cli_docs_peer },
    { NULL, NULL, NULL },
};

const cli_doc *cli_doc_find(const char *path)
{
    for (const cli_doc_group *g = cli_doc_groups; g->name != NULL; g++) {
        for (const cli_doc *d = g->docs; d->path != NULL; d++) {
            if (strcmp(d->path, path) == 0) {
                return d;
            }
        }
    }
    return NULL;
}

const cli_doc_group *cli_doc_group_find(const char *name)
{
    for (const cli_doc_group *g = cli_doc_groups; g->name != NULL; g++) {
        if (g->name[0] != '\0' && strcmp(g->name, name) == 0) {
            return g;
        }
    }
    return NULL;
}
