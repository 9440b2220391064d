// Public exports of src/io (filled as the io layer grows).
export {};
