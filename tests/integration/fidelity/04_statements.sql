-- Statements that change rows in ways beyond one row at a time: INSERT ... ON
-- CONFLICT DO UPDATE / DO NOTHING, UPDATE ... FROM, DELETE ... USING, MERGE,
-- writable CTEs, a key changed by UPDATE, subtransactions rolled back, a
-- transaction rolled back, a large transaction and TOASTed values left
-- unchanged by an update.

create table stock (sku text primary key, qty int not null, price numeric(10, 2), note text);
insert into stock select 'sku-' || i, i, i * 0.5, null from generate_series(1, 50) i;
create table deliveries (sku text, qty int);
insert into deliveries select 'sku-' || i, 100 from generate_series(1, 60, 3) i;
create table discontinued (sku text primary key);
insert into discontinued select 'sku-' || i from generate_series(5, 50, 5) i;
create table archive (sku text primary key, qty int);
create table documents (id int primary key, title text, body text);
insert into documents select i, 'doc ' || i, repeat(md5(i::text), 400) from generate_series(1, 5) i;

-- ==== the source streams from here ====

insert into stock values ('sku-1', 1000, 9.99, 'upserted'), ('sku-new', 1, 1, 'inserted')
  on conflict (sku) do update set qty = stock.qty + excluded.qty, note = excluded.note;
insert into stock values ('sku-2', -1, 0, 'ignored') on conflict do nothing;

update stock s set qty = s.qty + d.qty, note = 'delivered' from deliveries d where d.sku = s.sku;
delete from stock s using discontinued x where x.sku = s.sku and s.qty < 100;

merge into stock s
  using (select 'sku-' || i as sku, i as qty from generate_series(45, 55) i) m on s.sku = m.sku
  when matched and s.qty > 100 then delete
  when matched then update set qty = s.qty + m.qty, note = 'merged'
  when not matched then insert values (m.sku, m.qty, 0, 'merged in');

with moved as (delete from stock where note is null and qty < 10 returning sku, qty)
  insert into archive select * from moved;

update stock set sku = sku || '-renamed' where sku in ('sku-new', 'sku-3');

begin;
insert into archive values ('kept-1', 1);
savepoint s1;
insert into archive values ('rolled-back', 2);
update stock set qty = 0;
rollback to savepoint s1;
insert into archive values ('kept-2', 3);
savepoint s2;
insert into archive values ('kept-3', 4);
release savepoint s2;
commit;

begin;
delete from stock;
insert into archive values ('never', 0);
rollback;

insert into archive select 'bulk-' || i, i from generate_series(1, 20000) i;
update archive set qty = -qty where sku like 'bulk-%' and qty % 10 = 0;

update documents set title = 'retitled ' || id where id <= 3;
update documents set body = body || 'appended' where id = 4;
