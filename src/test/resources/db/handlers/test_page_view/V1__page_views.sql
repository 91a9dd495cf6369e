-- A handler's own table, created by `migrate` from the location its handler declares.
CREATE TABLE page_views (
  user_id int4 REFERENCES users (id),
  path varchar(200) NOT NULL,
  viewed_at timestamptz NOT NULL DEFAULT now()
);
