#!/usr/bin/env bash
# Captures real pgoutput messages (protocol 1, text values) from a throwaway
# PostgreSQL 15 into fuzz/corpus/pgoutput_fuzz/, as pgoutput_fuzz reads
# them: each message after its length (2 bytes, big-endian). One file per
# scenario below; each begins a decoding session, so it carries the
# relation (and type) messages its changes need. Run by hand when the
# decoder learns something new; CI only uses the files.
#
#   fuzz/capture-pgoutput-corpus.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source examples/scratch-postgres.sh
out=fuzz/corpus/pgoutput_fuzz

scratch_postgres_start
scratch_sql postgres -c "create database shop"
sql() { scratch_sql shop <<<"$1" >/dev/null; }  # statement by statement, each its own transaction

sql "create table dog (name varchar(20) primary key, species varchar(20), state varchar(20), sex char(1));
     create type mood as enum ('sad', 'ok', 'happy');
     create domain pct as numeric(5,2) check (value between 0 and 100);
     create type pair as (a int, b text);
     create table kinds (id int primary key, b bool, c \"char\", s int2, l int8, o oid, r float4, d float8,
       t text, v varchar(8), p bpchar(3), n name, num numeric(10,3), dt date, ts timestamptz, j json, jb jsonb,
       u uuid, by bytea, arr int[], m mood, pc pct, pr pair, iv interval);
     create table doc (id int primary key, body text);
     alter table doc alter column body set storage external;
     create table parent (id int primary key);
     create table child (id int primary key, parent_id int references parent (id));
     create table seq (id serial primary key, note text);
     create table keyless (a int, b text);
     alter table keyless replica identity full;
     create table by_index (a int not null, b text);
     create unique index by_index_a on by_index (a);
     alter table by_index replica identity using index by_index_a;
     create publication p for all tables;
     select pg_create_logical_replication_slot('s', 'pgoutput');"

# One file of the messages of everything since the last call.
capture() {  # capture NAME
  scratch_sql shop -c "select encode(data, 'hex') from pg_logical_slot_get_binary_changes('s', null, null,
                         'proto_version', '1', 'publication_names', 'p')" |
    perl -ne 'chomp; next unless length; my $m = pack("H*", $_); next if length($m) > 65535;
              print pack("n", length $m), $m' >"$out/$1"
  echo "$out/$1: $(wc -c <"$out/$1") bytes"
}

mkdir -p "$out"

sql "begin; insert into dog values ('Lucy','chihuahua','TX','f'), ('Wiggles','terrier','NY','f'),
       ('Piper','poodle','NJ','f'); commit;
     insert into dog values ('O''Brien','beagle','MA','m');
     update dog set state='VA' where name='Wiggles';
     update dog set name='Lucy Two', state=NULL where name='Lucy';
     delete from dog where name='Piper';"
capture dogs-changes
sql "alter table dog add column weight_kg numeric(5,2);
     insert into dog values ('Rex','boxer','CA','m',31.40);
     alter table dog replica identity full;
     update dog set weight_kg = 7.5 where name = 'O''Brien';
     delete from dog where name='Wiggles';
     truncate dog;
     insert into dog values ('Bella','collie','WA','f',20);"
capture dogs-altered

sql "insert into kinds values (1, true, 'a', -7, 9000000000, 4000000000, 'NaN', -1.5e-07, E'a \"q\"\\n\\\\ é',
       'varchar', 'ab', 'nm', 3.25, '2020-01-01', '2020-01-01 12:00:00+02', '{\"a\": [1, 2]}', '{\"b\": null}',
       'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff10', '{1,NULL,3}', 'happy', 42.5, row(1, 'x'), '1 day 2 hours');
     insert into kinds values (2, false, E'\\\\201', 32767, -9223372036854775808, 0, 'Infinity', '-Infinity', '',
       '', '', '', -0.001, 'infinity', '-infinity', '[]', '[]', '00000000-0000-0000-0000-000000000000', '', '{}',
       'sad', 0, row(null, null), '-1 mon');
     insert into kinds (id, r, d) values (3, '-0', '1e+100');
     insert into kinds (id) values (4);
     update kinds set t = 'changed', m = 'ok' where id = 1;
     delete from kinds where id = 2;"
capture kinds

sql "insert into doc select 1, string_agg(md5(i::text), '') from generate_series(1, 300) i;
     update doc set id = 2 where id = 1;
     update doc set body = 'short' where id = 2;"
capture toast

sql "insert into parent values (1), (2); insert into child values (10, 1);
     insert into seq (note) values ('one'), ('two');
     truncate parent, child;
     truncate seq restart identity;
     insert into parent values (3); truncate parent cascade;"
capture truncate

sql "insert into keyless values (1, 'a'), (1, 'a'); update keyless set b = 'b' where a = 1;
     delete from keyless where a = 1;
     insert into by_index values (1, 'x'); update by_index set a = 2 where a = 1; update by_index set b = 'y';
     delete from by_index where a = 2;"
capture identities

# A transaction that came from replication itself carries its origin.
sql "select pg_replication_origin_create('upstream')"
sql "select pg_replication_origin_session_setup('upstream');
     begin; select pg_replication_origin_xact_setup('0/1234', now());
     insert into seq (note) values ('from upstream'); commit;"
capture origin
