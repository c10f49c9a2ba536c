/** Records for {@code ul.dump} and {@code ul.lookup} that Jackson writes in the shape of Kamailio's RPC output. */
package io.siprelay.registrar.ul;
