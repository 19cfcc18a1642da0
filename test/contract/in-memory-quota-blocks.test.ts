import { InMemoryQuotaBlocks } from '../../src/infrastructure/quota/in-memory-quota-blocks.js';
import { quotaBlocksContract } from './quota-blocks.contract.js';

quotaBlocksContract('InMemoryQuotaBlocks', (clock) => new InMemoryQuotaBlocks(clock));
