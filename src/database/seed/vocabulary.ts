/** Words the demo and load datasets are made of. Both generators are deterministic. */

export const SPA_NAME_FIRST = [
  'Serenity',
  'Lotus',
  'Tranquil',
  'Harmony',
  'Blue Lagoon',
  'Willow',
  'Golden Sands',
  'Zen Garden',
  'Evergreen',
  'Moonstone',
  'Sage',
  'Rosewater',
  'Cedar',
  'Juniper',
  'Silver Birch',
  'Ocean Mist',
  'Desert Bloom',
  'Lavender Fields',
  'Jade',
  'Aurora',
];

export const SPA_NAME_SECOND = [
  'Day Spa',
  'Wellness Retreat',
  'Spa and Salon',
  'Massage Studio',
  'Med Spa',
  'Skin Clinic',
  'Bath House',
  'Wellness Center',
  'Beauty Lounge',
  'Resort Spa',
];

export const SPA_DESCRIPTIONS = [
  'A full-service day spa offering massage, facials and body treatments in a calm, modern space.',
  'Boutique wellness retreat known for hot stone massage, aromatherapy and holistic skin care.',
  'Busy urban spa and salon with a loyal clientele, a friendly team and flexible scheduling.',
  'Resort spa with thermal pools, a eucalyptus steam room and a team of licensed therapists.',
  'Medical spa providing injectables, laser treatments and medical-grade facials under physician supervision.',
];

/** Job titles by category slug; categories without an entry use their own name. */
export const JOB_TITLES: Record<string, string[]> = {
  'massage-therapist': [
    'Licensed Massage Therapist',
    'Deep Tissue Massage Therapist',
    'Sports Massage Therapist',
    'Prenatal Massage Specialist',
  ],
  esthetician: ['Licensed Esthetician', 'Lead Esthetician', 'Skin Care Specialist', 'Facialist'],
  'nail-technician': ['Nail Technician', 'Manicurist and Pedicurist', 'Gel Nail Artist'],
  'hair-stylist': ['Hair Stylist', 'Senior Colorist', 'Salon Stylist'],
  cosmetologist: ['Licensed Cosmetologist', 'Cosmetologist and Color Specialist'],
  'lash-and-brow-technician': ['Lash Extension Artist', 'Brow and Lash Technician'],
  'makeup-artist': ['Makeup Artist', 'Bridal Makeup Artist'],
  'medical-spa-and-aesthetic-nurse': [
    'Aesthetic Nurse Injector',
    'Laser Technician',
    'Medical Aesthetician',
  ],
  'spa-manager': ['Spa Manager', 'Assistant Spa Director', 'Spa Operations Lead'],
  'front-desk-and-concierge': ['Spa Receptionist', 'Front Desk Coordinator', 'Spa Concierge'],
  'spa-attendant': ['Spa Attendant', 'Locker Room Attendant', 'Relaxation Lounge Host'],
  'yoga-and-fitness-instructor': ['Yoga Instructor', 'Pilates Instructor', 'Meditation Guide'],
  'wellness-coach': ['Wellness Coach', 'Nutrition and Lifestyle Coach'],
  'sales-and-marketing': ['Membership Sales Associate', 'Spa Marketing Coordinator'],
};

export const JOB_DESCRIPTIONS = [
  'Join our team and deliver relaxing, results-driven treatments to our guests. You will tailor each session to the client, keep treatment rooms spotless and recommend home-care products.',
  'We are looking for a warm, professional team member who loves hospitality. Competitive commission, paid training, product discounts and flexible shifts including weekends.',
  'Work in a serene, award-winning environment with a steady book of returning clients. Benefits include health insurance, paid time off and continuing education credits.',
  'Be part of a growing wellness brand. You will collaborate with therapists, estheticians and the front desk to create memorable guest experiences from arrival to checkout.',
  'Experienced candidates preferred, but we mentor motivated newcomers. Strong communication skills, reliability and a passion for wellness are a must.',
];

export const JOB_REQUIREMENTS = [
  'Current state license where required. At least one year of spa or salon experience.',
  'Excellent guest service, punctuality and teamwork. Weekend availability.',
  'Certification in your specialty and a portfolio or references.',
];

export const EMPLOYMENT_TYPE_CYCLE = [
  'full_time',
  'full_time',
  'part_time',
  'full_time',
  'contract',
  'part_time',
  'temporary',
  'full_time',
  'internship',
  'full_time',
] as const;

/** mulberry32: a tiny deterministic PRNG, so the demo data is the same on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Specialties sprinkled into descriptions so that searches have rare and common words alike. */
export const SPECIALTIES = [
  'aromatherapy',
  'reflexology',
  'shiatsu',
  'thai massage',
  'hot stone',
  'cupping',
  'lymphatic drainage',
  'hydrafacial',
  'microdermabrasion',
  'chemical peels',
  'dermaplaning',
  'microblading',
  'lash lift',
  'brazilian wax',
  'sugaring',
  'balayage',
  'keratin treatment',
  'gel extensions',
  'paraffin',
  'body wraps',
  'salt scrubs',
  'hydrotherapy',
  'sauna',
  'cryotherapy',
  'infrared',
  'reiki',
  'ayurveda',
  'prenatal care',
  'sports recovery',
  'myofascial release',
  'trigger point',
  'craniosacral',
  'botox',
  'dermal fillers',
  'laser hair removal',
  'microneedling',
  'led therapy',
  'oxygen facial',
  'bridal makeup',
  'airbrush',
  'vinyasa',
  'hatha',
  'pilates reformer',
  'sound bath',
  'meditation',
];

export const TITLE_QUALIFIERS = [
  'Senior',
  'Lead',
  'Licensed',
  'Experienced',
  'Junior',
  'Part-Time',
  'Weekend',
  'Resort',
];
