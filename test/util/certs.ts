// Certificates made at run time with the openssl CLI, for the TLS tests: a root CA (with a
// CA database, so that it can sign with past dates and revoke), an intermediate CA, and node
// certificates. EC P-256 keys: fast to make. Every file is PEM in one temporary directory.
//
//   ca          root CA, self-signed                    trusted by the tests
//   intermediate CA signed by ca; intermediate2: CA signed by intermediate
//   good        CN=localhost, SAN localhost 127.0.0.1-3 ::1, signed by ca
//   other       like good, a second node, signed by ca (a client certificate)
//   chained1    like good, signed by intermediate; the file holds leaf + intermediate
//   chained2    like good, signed by intermediate2; the file holds leaf + intermediate2 +
//               intermediate (two CAs between leaf and root: verify_depth 2 needed, as
//               OpenSSL counts depth: N allows N intermediates below the trust anchor)
//   expired     like good, valid 2020-01-01 to 2020-01-02
//   wrongName   SAN wrong.example.com only
//   dnsOnly     SAN localhost only (no IP address): verifies only when the name is used
//   revoked     like good, revoked in ca.crl
//   untrusted   like good, signed by a second root nobody trusts
//   encrypted   good's certificate with its key encrypted (passphrase "s3cret"), and a
//               password file whose first line is wrong
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertFiles {
  cert: string;
  key: string;
}

export interface TestCerts {
  dir: string;
  ca: CertFiles;
  caCrl: string;
  intermediate: CertFiles;
  good: CertFiles;
  other: CertFiles;
  intermediate2: CertFiles;
  chained1: CertFiles;
  chained2: CertFiles;
  expired: CertFiles;
  wrongName: CertFiles;
  dnsOnly: CertFiles;
  revoked: CertFiles;
  untrusted: CertFiles;
  encrypted: CertFiles & { passwordFile: string; passphrase: string };
  cleanup(): void;
}

/* 127.0.0.2 and .3 stand for other hosts in tests (Linux routes 127.0.0.0/8 to loopback). */
const LOCAL_SAN = 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3,IP:::1';

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
}

function newKey(dir: string, name: string): string {
  const key = join(dir, `${name}.key`);
  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  return key;
}

function csr(dir: string, name: string, cn: string): { key: string; csr: string } {
  const key = newKey(dir, name);
  const path = join(dir, `${name}.csr`);
  openssl(dir, ['req', '-new', '-key', key, '-subj', `/CN=${cn}`, '-out', path]);
  return { key, csr: path };
}

function selfSignedCa(dir: string, name: string, cn: string): CertFiles {
  const key = newKey(dir, name);
  const cert = join(dir, `${name}.crt`);
  openssl(dir, ['req', '-x509', '-new', '-key', key, '-subj', `/CN=${cn}`, '-days', '3650', '-out', cert,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return { cert, key };
}

const CA_CONFIG = `
[ ca ]
default_ca = root
[ root ]
dir = .
database = ./index.txt
serial = ./serial
crlnumber = ./crlnumber
new_certs_dir = ./issued
certificate = ./ca.crt
private_key = ./ca.key
default_md = sha256
default_days = 3650
default_crl_days = 3650
policy = any
unique_subject = no
copy_extensions = copy
[ any ]
commonName = supplied
[ sub_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
`;

/** The intermediate CA, signed by the root with the database (openssl ca). */
function intermediateCa(dir: string): CertFiles {
  const { key, csr: request } = csr(dir, 'intermediate', 'zonesync test intermediate CA');
  const cert = join(dir, 'intermediate.crt');
  openssl(dir, ['ca', '-batch', '-config', 'ca.cnf', '-extensions', 'sub_ca', '-in', request, '-out', cert, '-notext']);
  return { cert, key };
}

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'zonesync-certs-'));
  const ca = selfSignedCa(dir, 'ca', 'zonesync test root CA');
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(join(dir, 'crlnumber'), '1000\n');
  execFileSync('mkdir', ['-p', join(dir, 'issued')]);
  writeFileSync(join(dir, 'ca.cnf'), CA_CONFIG);
  // -extfile replaces the config's sections: one file per leaf with the shared leaf settings.
  const leaf = (name: string, cn: string, san: string, dates?: [string, string]): CertFiles => {
    const { key, csr: request } = csr(dir, name, cn);
    const cert = join(dir, `${name}.crt`);
    const ext = join(dir, `${name}.ext`);
    writeFileSync(ext, `[ leaf_san ]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\n${san}\n`);
    const args = ['ca', '-batch', '-config', 'ca.cnf', '-extfile', ext, '-extensions', 'leaf_san', '-in', request, '-out', cert, '-notext'];
    if (dates !== undefined) args.push('-startdate', dates[0], '-enddate', dates[1]);
    openssl(dir, args);
    return { cert, key };
  };
  const intermediate = intermediateCa(dir);
  const good = leaf('good', 'localhost', LOCAL_SAN);
  const other = leaf('other', 'localhost', LOCAL_SAN);
  const expired = leaf('expired', 'localhost', LOCAL_SAN, ['20200101000000Z', '20200102000000Z']);
  const wrongName = leaf('wrong-name', 'wrong.example.com', 'subjectAltName=DNS:wrong.example.com');
  const dnsOnly = leaf('dns-only', 'localhost', 'subjectAltName=DNS:localhost');
  const revoked = leaf('revoked', 'localhost', LOCAL_SAN);
  openssl(dir, ['ca', '-config', 'ca.cnf', '-revoke', revoked.cert]);
  const caCrl = join(dir, 'ca.crl');
  openssl(dir, ['ca', '-config', 'ca.cnf', '-gencrl', '-out', caCrl]);

  // Below the intermediate (openssl x509: no database needed).
  const leafExt = join(dir, 'leaf.ext');
  writeFileSync(leafExt, `basicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\n${LOCAL_SAN}\n`);
  const caExt = join(dir, 'sub-ca.ext');
  writeFileSync(caExt, 'basicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n');
  const signBy = (issuer: CertFiles, name: string, cn: string, ext: string): CertFiles => {
    const request = csr(dir, name, cn);
    const cert = join(dir, `${name}.crt`);
    openssl(dir, ['x509', '-req', '-in', request.csr, '-CA', issuer.cert, '-CAkey', issuer.key, '-CAcreateserial',
      '-days', '3650', '-extfile', ext, '-out', cert]);
    return { cert, key: request.key };
  };
  const intermediate2 = signBy(intermediate, 'intermediate2', 'zonesync test intermediate CA 2', caExt);
  const withChain = (leafFiles: CertFiles, name: string, cas: CertFiles[]): CertFiles => {
    const cert = join(dir, `${name}.crt`);
    writeFileSync(cert, [leafFiles, ...cas].map((c) => readFileSync(c.cert, 'utf8')).join(''));
    return { cert, key: leafFiles.key };
  };
  const chained1 = withChain(signBy(intermediate, 'chained1-leaf', 'localhost', leafExt), 'chained1', [intermediate]);
  const chained2 = withChain(signBy(intermediate2, 'chained2-leaf', 'localhost', leafExt), 'chained2', [intermediate2, intermediate]);

  // A second root nobody trusts, and a leaf it signs.
  const untrusted = signBy(selfSignedCa(dir, 'stranger-ca', 'stranger CA'), 'untrusted', 'localhost', leafExt);

  const passphrase = 's3cret';
  const encryptedKey = join(dir, 'encrypted.key');
  openssl(dir, ['pkey', '-in', good.key, '-aes256', '-passout', `pass:${passphrase}`, '-out', encryptedKey]);
  const passwordFile = join(dir, 'passwords.txt');
  writeFileSync(passwordFile, `not-this-one\n${passphrase}\n`);

  return {
    dir, ca, caCrl, intermediate, intermediate2, good, other, chained1, chained2, expired, wrongName, dnsOnly, revoked, untrusted,
    encrypted: { cert: good.cert, key: encryptedKey, passwordFile, passphrase },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
