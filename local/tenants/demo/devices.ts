/** Devices and service principals: members of the kiosk group; device ids also appear in sign-in device details. */

import type { Device, ServicePrincipal } from '@microsoft/microsoft-graph-types';

import { DEMO_TENANT } from '../demoIds';
import { BASE_MS, DAY, HOUR, iso, type Prng } from './random';

export function buildDevices(rnd: Prng): Device[] {
  return [
    ['KIOSK-SEA-01', 'Windows', '10.0.22631.4460', true, 'AzureAd'],
    ['KIOSK-SEA-02', 'Windows', '10.0.22631.4460', true, 'AzureAd'],
    ['KIOSK-TOR-01', 'Windows', '10.0.19045.5131', false, 'AzureAd'],
    ['STORE-IPAD-044', 'iPadOS', '18.1', true, 'Workplace'],
    ['STORE-ANDROID-057', 'Android', '14.0', true, 'Workplace'],
  ].map(([displayName, operatingSystem, operatingSystemVersion, isCompliant, trustType]) => ({
    id: rnd.guid(),
    deviceId: rnd.guid(),
    displayName: String(displayName),
    accountEnabled: true,
    operatingSystem: String(operatingSystem),
    operatingSystemVersion: String(operatingSystemVersion),
    isCompliant: Boolean(isCompliant),
    isManaged: true,
    trustType: String(trustType),
    registrationDateTime: iso(BASE_MS - rnd.int(100, 600) * DAY),
    approximateLastSignInDateTime: iso(BASE_MS - rnd.int(1, 72) * HOUR),
  }));
}

export function buildServicePrincipals(rnd: Prng): ServicePrincipal[] {
  return ['Kiosk Badge Reader', 'Store Inventory Sync', 'HR Onboarding Connector'].map((displayName) => ({
    id: rnd.guid(),
    appId: rnd.guid(),
    displayName,
    appDisplayName: displayName,
    servicePrincipalType: 'Application',
    accountEnabled: true,
    appOwnerOrganizationId: DEMO_TENANT.id,
    createdDateTime: iso(BASE_MS - rnd.int(100, 800) * DAY),
  }));
}
