-- SipRelay proxy-auth schema: Kamailio's subscriber and address tables (same names and columns), plus
-- subscriber.ha1_sha256 = SHA-256(username:domain:password), SipRelay's addition for RFC 7616 without plaintext.
-- IF NOT EXISTS: pointing SipRelay at an existing Kamailio database keeps its tables and rows.
-- ${id_column} is the auto-increment primary key of the vendor in use.

CREATE TABLE IF NOT EXISTS ${subscriber_table} (
    id ${id_column},
    username VARCHAR(64) DEFAULT '' NOT NULL,
    domain VARCHAR(64) DEFAULT '' NOT NULL,
    password VARCHAR(64) DEFAULT '' NOT NULL,
    ha1 VARCHAR(128) DEFAULT '' NOT NULL,
    ha1b VARCHAR(128) DEFAULT '' NOT NULL,
    ha1_sha256 VARCHAR(128) DEFAULT '' NOT NULL,
    CONSTRAINT ${subscriber_table}_account_idx UNIQUE (username, domain)
);

CREATE TABLE IF NOT EXISTS ${address_table} (
    id ${id_column},
    grp INTEGER DEFAULT 1 NOT NULL,
    ip_addr VARCHAR(50) NOT NULL,
    mask INTEGER DEFAULT 32 NOT NULL,
    port INTEGER DEFAULT 0 NOT NULL,
    tag VARCHAR(64)
);
