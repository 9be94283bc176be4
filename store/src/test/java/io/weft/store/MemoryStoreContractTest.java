package io.weft.store;

class MemoryStoreContractTest extends MessageStoreContract {
    @Override
    protected MessageStore create() {
        return new MemoryStore();
    }
}
