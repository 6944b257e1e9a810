<?xml version="1.0" encoding="UTF-8"?>
<!--
  UBL 2.1 Invoice / CreditNote -> CPPFacturePivot V2_02 (AIFE CPPFacturePivot_V2_02.xsd).
  EN 16931 UBL binding (../shared/domain/chorus-pro.md §1.4); shared mapping in pivot-common.xsl.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:inv="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
    xmlns:cn="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
    exclude-result-prefixes="inv cn cac cbc">

  <xsl:include href="pivot-common.xsl"/>

  <xsl:template match="/">
    <xsl:call-template name="pivot">
      <xsl:with-param name="invoice" select="/inv:Invoice | /cn:CreditNote"/>
    </xsl:call-template>
  </xsl:template>

  <!-- BG-17 credit transfer: BT-84 account, BT-86 BIC, BT-85 account name. -->
  <xsl:template match="*" mode="bank">
    <xsl:variable name="account" select="cac:PaymentMeans/cac:PayeeFinancialAccount[cbc:ID][1]"/>
    <xsl:call-template name="reference-bancaire">
      <xsl:with-param name="account" select="normalize-space($account/cbc:ID)"/>
      <xsl:with-param name="bic" select="normalize-space($account/cac:FinancialInstitutionBranch/cbc:ID)"/>
      <xsl:with-param name="holder" select="normalize-space($account/cbc:Name)"/>
    </xsl:call-template>
  </xsl:template>

  <!-- BT-44 buyer name. -->
  <xsl:template match="*" mode="buyer-name">
    <xsl:value-of select="normalize-space(cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName)"/>
  </xsl:template>

  <xsl:template match="*" mode="donnees">
    <xsl:variable name="totals" select="cac:LegalMonetaryTotal"/>
    <xsl:call-template name="donnees-tete">
      <xsl:with-param name="number" select="cbc:ID"/>
      <xsl:with-param name="preceding" select="cac:BillingReference[1]/cac:InvoiceDocumentReference/cbc:ID"/>
      <xsl:with-param name="type_code" select="cbc:InvoiceTypeCode | cbc:CreditNoteTypeCode"/>
      <xsl:with-param name="credit_note" select="boolean(self::cn:CreditNote)"/>
      <xsl:with-param name="framework" select="cbc:ProfileID"/>
      <xsl:with-param name="issue_date" select="normalize-space(cbc:IssueDate)"/>
      <xsl:with-param name="delivery_date" select="normalize-space(cac:Delivery[1]/cbc:ActualDeliveryDate)"/>
      <xsl:with-param name="means" select="cac:PaymentMeans[1]/cbc:PaymentMeansCode"/>
      <xsl:with-param name="currency" select="cbc:DocumentCurrencyCode"/>
    </xsl:call-template>
    <xsl:call-template name="montants">
      <xsl:with-param name="ht" select="$totals/cbc:TaxExclusiveAmount"/>
      <xsl:with-param name="ttc" select="$totals/cbc:TaxInclusiveAmount"/>
      <xsl:with-param name="due" select="$totals/cbc:PayableAmount"/>
    </xsl:call-template>
    <xsl:variable name="currency" select="normalize-space(cbc:DocumentCurrencyCode)"/>
    <xsl:variable name="subtotals" select="cac:TaxTotal[cbc:TaxAmount/@currencyID = $currency or not(cbc:TaxAmount/@currencyID)]/cac:TaxSubtotal"/>
    <xsl:if test="$subtotals">
      <TVAs>
        <xsl:for-each select="$subtotals">
          <xsl:call-template name="tva">
            <xsl:with-param name="rate" select="cac:TaxCategory/cbc:Percent"/>
            <xsl:with-param name="base" select="cbc:TaxableAmount"/>
            <xsl:with-param name="amount" select="cbc:TaxAmount"/>
          </xsl:call-template>
        </xsl:for-each>
      </TVAs>
    </xsl:if>
    <xsl:call-template name="engagement">
      <xsl:with-param name="contract" select="cac:ContractDocumentReference[1]/cbc:ID"/>
      <xsl:with-param name="order" select="cac:OrderReference/cbc:ID"/>
    </xsl:call-template>
    <xsl:variable name="lines" select="cac:InvoiceLine | cac:CreditNoteLine"/>
    <xsl:if test="$lines">
      <Lignes>
        <xsl:for-each select="$lines">
          <xsl:call-template name="ligne">
            <xsl:with-param name="index" select="position()"/>
            <xsl:with-param name="reference" select="cac:Item/cac:SellersItemIdentification/cbc:ID | cac:Item[not(cac:SellersItemIdentification/cbc:ID)]/cbc:Name"/>
            <xsl:with-param name="price" select="cac:Price/cbc:PriceAmount"/>
            <xsl:with-param name="quantity" select="cbc:InvoicedQuantity | cbc:CreditedQuantity"/>
            <xsl:with-param name="amount" select="cbc:LineExtensionAmount"/>
            <xsl:with-param name="rate" select="cac:Item/cac:ClassifiedTaxCategory/cbc:Percent"/>
          </xsl:call-template>
        </xsl:for-each>
      </Lignes>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
