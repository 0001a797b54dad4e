// ssl.principal.mapping.rules with the examples from Kafka's documentation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapPrincipal, parsePrincipalRules } from './principal-mapping.ts';

test("Kafka's documented rules: first match wins, $n groups, /L and /U, DEFAULT", () => {
  const rules = parsePrincipalRules('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/, RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,\n RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U, DEFAULT');
  assert.equal(mapPrincipal(rules, 'CN=kafka-broker,OU=ServiceUsers,O=Unknown,C=Unknown'), 'kafka-broker');
  assert.equal(mapPrincipal(rules, 'CN=Adam,OU=Ops,O=Acme,L=Paris,ST=IdF,C=FR'), 'adam@ops');
  assert.equal(mapPrincipal(rules, 'O=x,cn=bob.smith,C=DE'), 'BOB.SMITH');
  assert.equal(mapPrincipal(rules, 'O=no common name'), 'O=no common name');
  assert.equal(mapPrincipal(parsePrincipalRules(''), 'CN=a'), 'CN=a');
  assert.equal(mapPrincipal(parsePrincipalRules('RULE:^CN=(.*)$/$1/'), 'OU=x'), null);
  assert.equal(mapPrincipal(parsePrincipalRules('RULE:^CN=([^,]*),O=a\\/b$/$1 of a\\/b/'), 'CN=x,O=a/b'), 'x of a/b');
  assert.throws(() => parsePrincipalRules('RULE:^CN=(.*$/$1/'), /invalid pattern/);
  assert.throws(() => parsePrincipalRules('SOMETHING'), /expected RULE/);
});
