-- Greetings, listed newest first by id (the cursor is the last id of a page).
CREATE TABLE greetings (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
    message    text        NOT NULL CHECK (char_length(message) BETWEEN 1 AND 280),
    created_at timestamptz NOT NULL DEFAULT now()
);
